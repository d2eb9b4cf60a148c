BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Restore-SqliteBackup' {
    BeforeEach {
        $script:dir = New-TestFolder
        $script:db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $script:b = New-SqliteBackup $db
    }

    It 'restores into a new file' {
        $target = Join-Path $dir 'copy.db'
        $r = $b | Restore-SqliteBackup -Destination $target -Confirm:$false
        $r.Method | Should -Be 'Rename'
        Invoke-Sql $target 'SELECT count(*) FROM employees' | Should -Be 100
        if (Get-Command sqlite3 -ErrorAction SilentlyContinue) { sqlite3 $target 'PRAGMA integrity_check;' | Should -Be 'ok' }
    }

    It 'warns before restoring a backup dated in the future' {
        Set-BackupCreated $b ([datetime]::UtcNow.AddDays(10))
        $ahead = Get-SqliteBackup (Join-Path $dir 'backups')
        $ahead | Restore-SqliteBackup -Destination (Join-Path $dir 'copy.db') -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        "$w" | Should -BeLike "*$($b.Path)*ahead of this machine's clock*check with Get-SqliteBackup*"
        # A pipeline object is read again from disk before a restore, so an old object carrying the true date warns too.
        $b | Restore-SqliteBackup -Destination (Join-Path $dir 'copy2.db') -Confirm:$false -WarningVariable w2 -WarningAction SilentlyContinue | Out-Null
        "$w2" | Should -BeLike "*$($b.Path)*ahead of this machine's clock*"
    }

    It 'changes nothing with -WhatIf' {
        Invoke-Sql $db 'DELETE FROM assignments; DELETE FROM employees' | Out-Null
        $b | Restore-SqliteBackup -Destination $db -Force -WhatIf
        Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 0
        @(Get-SqliteBackup (Join-Path $dir 'backups')).Count | Should -Be 1
    }

    It 'needs -Force for an existing database, then keeps a PreRestore backup of it' {
        Invoke-Sql $db 'DELETE FROM assignments; DELETE FROM employees WHERE id > 1' | Out-Null
        { $b | Restore-SqliteBackup -Destination $db -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RestoreTargetExists,SqliteBackup.PowerShell.RestoreSqliteBackupCommand'
        Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 1

        $r = $b | Restore-SqliteBackup -Destination $db -Force -Confirm:$false
        Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 100
        $pre = Get-SqliteBackup (Join-Path $dir 'backups') -Type PreRestore
        $pre.Id | Should -Be $r.PreRestoreBackup.Id
        $pre.Manifest.TableRowCounts['employees'] | Should -Be 1
    }

    It 'refuses a directory as destination' {
        { $b | Restore-SqliteBackup -Destination $dir -Force -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RestoreTargetIsDirectory,SqliteBackup.PowerShell.RestoreSqliteBackupCommand'
    }

    It 'refuses a backup whose checksum fails and leaves the database alone' {
        Add-Content -Path $b.Path -Value 'tampered'
        Invoke-Sql $db 'INSERT INTO departments VALUES (77, ''Kept'', 0)' | Out-Null
        { Restore-SqliteBackup -Path $b.Path -Destination $db -Force -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'BackupChecksumMismatch,SqliteBackup.PowerShell.RestoreSqliteBackupCommand'
        Invoke-Sql $db 'SELECT name FROM departments WHERE id = 77' | Should -Be 'Kept'
        @(Get-SqliteBackup (Join-Path $dir 'backups') -Type PreRestore).Count | Should -Be 0
    }

    Context 'trust' {
        It 'refuses a symlink at the destination, and follows it only with -FollowSymlink' -Skip:$IsWindows {
            $d = New-TestFolder
            $db = Join-Path $d 'app.db'
            New-SqliteSampleDatabase $db | Out-Null
            $b = New-SqliteBackup $db -Destination (Join-Path $d 'backups') -Verify None
            $other = Join-Path $d 'other.db'
            New-TinyDatabase $other | Out-Null
            $before = (Get-FileHash $other).Hash
            $link = Join-Path $d 'link.db'
            New-Item -ItemType SymbolicLink -Path $link -Target $other | Out-Null

            $b | Restore-SqliteBackup -Destination $link -Force -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreTargetIsSymlink*'
            (Get-FileHash $other).Hash | Should -Be $before

            $r = $b | Restore-SqliteBackup -Destination $link -Force -FollowSymlink -Confirm:$false
            $r.Destination | Should -Be $other
            (Get-Item $link).LinkTarget | Should -Be $other
            Invoke-Sql $other 'SELECT count(*) FROM employees' | Should -Be 100
        }

        It 'the next restore removes the temporary copy that a killed restore left beside the target' -Skip:$IsWindows {
            $d = New-TestFolder
            $db = Join-Path $d 'app.db'
            New-SqliteSampleDatabase $db | Out-Null
            $b = New-SqliteBackup $db -Destination (Join-Path $d 'backups') -Verify None
            # The target is held by a writer, so the restore waits with its decompressed copy beside it: kill it there.
            $holder = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$db;Pooling=False")
            $holder.Open()
            $cmd = $holder.CreateCommand(); $cmd.CommandText = 'BEGIN EXCLUSIVE'; $cmd.ExecuteNonQuery() | Out-Null
            $pwsh = @([Environment]::ProcessPath)
            if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
            $script = "Import-Module '$script:ModulePath'; Restore-SqliteBackup -Path '$($b.Path)' -Destination '$db' -Force -BusyTimeoutSec 60 -Confirm:`$false"
            $child = Start-Process -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "`"$script`"")) -PassThru
            try {
                $deadline = (Get-Date).AddSeconds(30)
                while (-not (Get-ChildItem $d -Force -Filter '.sqlitebackup-*.tmp') -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 20 }
                Start-Sleep -Milliseconds 300
                Stop-Process -Id $child.Id -Force
                $child.WaitForExit()
            }
            finally { $holder.Dispose() }
            $left = @(Get-ChildItem $d -Force -Filter '.sqlitebackup-*.tmp')
            $left.Count | Should -Be 1
            $left[0].Length | Should -BeGreaterThan 0

            $b | Restore-SqliteBackup -Destination $db -Force -Confirm:$false | Out-Null
            Test-Path $left[0].FullName | Should -BeFalse
            @(Get-ChildItem $d -Force -Filter '.sqlitebackup-*').Count | Should -Be 0
        }

        It 'says what it kept when the old file was not a usable database' {
            $d = New-TestFolder
            $db = Join-Path $d 'app.db'
            New-SqliteSampleDatabase $db | Out-Null
            $b = New-SqliteBackup $db -Destination (Join-Path $d 'backups') -Verify None
            Set-Content $db 'not a database'
            $r = $b | Restore-SqliteBackup -Destination $db -Force -Confirm:$false -WarningAction SilentlyContinue
            $text = $r | Format-List | Out-String -Width 400
            $text | Should -BeLike "*kept as $($r.PreservedPath)*"
            $text | Should -Not -BeLike '*the destination was new*'
        }
    }
}
