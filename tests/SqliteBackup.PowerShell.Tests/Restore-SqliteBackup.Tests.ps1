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

    It 'needs -Force (or -Confirm:$false) for an existing database where no one can be asked, then keeps a PreRestore backup of it' {
        Invoke-Sql $db 'DELETE FROM assignments; DELETE FROM employees WHERE id > 1' | Out-Null
        # The suite runs under -NonInteractive: the question cannot be asked, so the answer is no.
        { $b | Restore-SqliteBackup -Destination $db -ErrorAction Stop } | Should -Throw -ErrorId 'RestoreTargetExists,SqliteBackup.PowerShell.RestoreSqliteBackupCommand'
        Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 1

        $r = $b | Restore-SqliteBackup -Destination $db -Confirm:$false
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

    Context 'one backup per target' {
        It 'refuses several backups for one -Destination before touching anything, naming the databases' {
            $other = Join-Path $dir 'other.db'
            New-TinyDatabase $other | Out-Null
            New-SqliteBackup $other | Out-Null
            Invoke-Sql $db 'INSERT INTO departments VALUES (77, ''Kept'', 0)' | Out-Null
            $all = Get-SqliteBackup (Join-Path $dir 'backups') -Latest 1
            @($all).Count | Should -Be 2
            $all | Restore-SqliteBackup -Destination $db -Force -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreSeveralBackupsForOneTarget,*'
            "$($err[0])" | Should -BeLike '*app*other*'
            Invoke-Sql $db 'SELECT name FROM departments WHERE id = 77' | Should -Be 'Kept'
            @(Get-SqliteBackup (Join-Path $dir 'backups') -Type PreRestore).Count | Should -Be 0
        }

        It 'names the database in the -WhatIf text' -Skip:$IsWindows {
            # "What if" lines go to the host, not to a stream: read them from a child shell's console output.
            $pwsh = @([Environment]::ProcessPath)
            if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
            $text = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command "Import-Module '$script:ModulePath'; Restore-SqliteBackup -Path '$($b.Path)' -Destination '$db' -Force -WhatIf" 2>&1 | Out-String
            $text | Should -BeLike "*What if*Replace the database with the backup of app taken*"
        }

        It 'restores each backup to its own source path with -ToSourcePath, and refuses two for one source' {
            $other = Join-Path $dir 'other.db'
            New-TinyDatabase $other | Out-Null
            $ob = New-SqliteBackup $other
            Invoke-Sql $db 'DELETE FROM assignments; DELETE FROM employees' | Out-Null
            Invoke-Sql $other 'CREATE TABLE later (x)' | Out-Null
            $r = @($b, $ob) | Restore-SqliteBackup -ToSourcePath -Force -Confirm:$false
            @($r).Count | Should -Be 2
            Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 100
            Invoke-Sql $other "SELECT count(*) FROM sqlite_schema WHERE name = 'later'" | Should -Be 0

            $b2 = New-SqliteBackup $db
            Invoke-Sql $db 'DELETE FROM assignments; DELETE FROM employees' | Out-Null
            @($b, $b2) | Restore-SqliteBackup -ToSourcePath -Force -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreSeveralBackupsForOneTarget,*'
            Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 0
            { $b | Restore-SqliteBackup -ToSourcePath -Destination $db -Force -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RestoreTargetAmbiguous,*'
            { $b | Restore-SqliteBackup -Force -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RestoreTargetAmbiguous,*'
        }
    }

    Context 'confirmation' {
        It 'restores into a new file and, with -Force, over an existing one without prompting under -NonInteractive' -Skip:$IsWindows {
            $pwsh = @([Environment]::ProcessPath)
            if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
            $copy = Join-Path $dir 'copy.db'
            $script = "Import-Module '$script:ModulePath'; `$ErrorActionPreference = 'Stop'; " +
                "Restore-SqliteBackup -Path '$($b.Path)' -Destination '$copy' | Out-Null; " +
                "try { Restore-SqliteBackup -Path '$($b.Path)' -Destination '$db' | Out-Null; exit 3 } catch { if (`$_.FullyQualifiedErrorId -notlike 'RestoreTargetExists,*') { Write-Host `$_; exit 4 } }; " +
                "Restore-SqliteBackup -Path '$($b.Path)' -Destination '$db' -Force | Out-Null"
            Invoke-Sql $db 'DELETE FROM assignments; DELETE FROM employees' | Out-Null
            $out = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script 2>&1
            $LASTEXITCODE | Should -Be 0 -Because "$out"
            Invoke-Sql $copy 'SELECT count(*) FROM employees' | Should -Be 100
            Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 100
        }
    }

    Context 'PreRestore backup' {
        It 'falls back with a warning beside the target when the backup directory is read-only; -PreRestorePath and -NoPreRestoreBackup choose' -Skip:$IsWindows {
            $disk = Join-Path $dir 'ro'
            if (-not (Mount-TestTmpfs $disk 'size=4m,mode=0755')) { Set-ItResult -Skipped -Because 'needs root to mount a tmpfs'; return }
            try {
                $rb = New-SqliteBackup $db -Destination $disk -Verify None
                & mount -o remount,ro $disk
                Invoke-Sql $db 'DELETE FROM assignments; DELETE FROM employees' | Out-Null
                $r = $rb | Restore-SqliteBackup -Destination $db -Force -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
                "$w" | Should -BeLike "*$disk*read-only*$(Join-Path $dir 'backups')*-PreRestorePath*"
                $r.PreRestoreBackup.Directory | Should -Be (Join-Path $dir 'backups')
                Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 100

                # A place the user chose is never swapped for another: the error names it, and nothing is changed.
                Invoke-Sql $db 'DELETE FROM assignments; DELETE FROM employees' | Out-Null
                $rb | Restore-SqliteBackup -Destination $db -Force -Confirm:$false -PreRestorePath $disk -ErrorVariable err -ErrorAction SilentlyContinue
                $err[0].FullyQualifiedErrorId | Should -BeLike 'PreRestoreLocationNotWritable,*'
                "$($err[0])" | Should -BeLike "*'$disk'*"
                Invoke-Sql $db 'SELECT count(*) FROM employees' | Should -Be 0

                $elsewhere = Join-Path $dir 'pre'
                $r = $rb | Restore-SqliteBackup -Destination $db -Force -Confirm:$false -PreRestorePath $elsewhere
                $r.PreRestoreBackup.Directory | Should -Be $elsewhere
                $r.PreRestoreBackup.Manifest.TableRowCounts['employees'] | Should -Be 0

                $before = @(Get-ChildItem -Recurse $dir -Filter '*.manifest.json').Count
                { $rb | Restore-SqliteBackup -Destination $db -Force -Confirm:$false -NoPreRestoreBackup -PreRestorePath $elsewhere -ErrorAction Stop } | Should -Throw -ErrorId 'PreRestoreOptionsConflict,*'
                $r = $rb | Restore-SqliteBackup -Destination $db -Force -Confirm:$false -NoPreRestoreBackup -WarningAction SilentlyContinue
                $r.PreRestoreBackup | Should -BeNullOrEmpty
                @(Get-ChildItem -Recurse $dir -Filter '*.manifest.json').Count | Should -Be $before
            }
            finally { Dismount-TestTmpfs $disk }
        }
    }

    Context 'page size' {
        It 'restores over a WAL database whose page size differs from the backup''s' {
            if (-not (Get-Command sqlite3 -ErrorAction SilentlyContinue)) {
                if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'sqlite3 CLI missing (SQLITEBACKUP_REQUIRE_CLI=1)' }
                Set-ItResult -Skipped -Because 'needs the sqlite3 CLI'; return
            }
            $target = Join-Path $dir 'wal.db'
            sqlite3 $target 'PRAGMA page_size=8192; PRAGMA journal_mode=WAL; CREATE TABLE other (x); INSERT INTO other VALUES (1);' | Out-Null
            sqlite3 $target 'PRAGMA page_size;' | Should -Be 8192
            sqlite3 $target 'PRAGMA journal_mode;' | Should -Be 'wal'
            $r = $b | Restore-SqliteBackup -Destination $target -Force -Confirm:$false
            $r.Method | Should -Be 'BackupApi'
            sqlite3 $target 'SELECT count(*) FROM employees;' | Should -Be 100
            sqlite3 $target 'PRAGMA integrity_check;' | Should -Be 'ok'
            sqlite3 $target 'PRAGMA journal_mode;' | Should -Be 'wal'
            $r.PreRestoreBackup.Manifest.TableRowCounts['other'] | Should -Be 1
        }

        It 'refuses, naming the real reason and leaving no PreRestore backup, while another connection holds such a WAL database open' {
            $target = Join-Path $dir 'wal.db'
            Invoke-Sql $target 'PRAGMA page_size=8192; PRAGMA journal_mode=WAL; CREATE TABLE other (x);' | Out-Null
            $holder = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$target;Pooling=False")
            $holder.Open()
            try {
                $cmd = $holder.CreateCommand(); $cmd.CommandText = 'SELECT count(*) FROM other'; $cmd.ExecuteScalar() | Out-Null
                $b | Restore-SqliteBackup -Destination $target -Force -Confirm:$false -BusyTimeoutSec 1 -ErrorVariable err -ErrorAction SilentlyContinue
            }
            finally { $holder.Dispose() }
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreWalPageSizeMismatch,*'
            "$($err[0])" | Should -BeLike '*8192*4096*'
            @(Get-SqliteBackup (Join-Path $dir 'backups') -Type PreRestore).Count | Should -Be 0
            Invoke-Sql $target 'PRAGMA journal_mode' | Should -Be 'wal'
        }
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

        It 'a killed restore leaves nothing beside the target, and the next one removes its copy from the backup folder' -Skip:$IsWindows {
            $d = New-TestFolder
            $db = Join-Path $d 'app.db'
            $backups = Join-Path $d 'backups'
            New-SqliteSampleDatabase $db | Out-Null
            $b = New-SqliteBackup $db -Destination $backups -Verify None
            # The target is held by a writer, so the restore waits with its decompressed copy ready: kill it there. The copy
            # sits in a private folder in the backup directory, never beside the target, where another user could swap it.
            $holder = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$db;Pooling=False")
            $holder.Open()
            $cmd = $holder.CreateCommand(); $cmd.CommandText = 'BEGIN EXCLUSIVE'; $cmd.ExecuteNonQuery() | Out-Null
            $pwsh = @([Environment]::ProcessPath)
            if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
            $script = "Import-Module '$script:ModulePath'; Restore-SqliteBackup -Path '$($b.Path)' -Destination '$db' -Force -NoPreRestoreBackup -BusyTimeoutSec 60 -Confirm:`$false"
            $child = Start-Process -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "`"$script`"")) -PassThru
            try {
                $deadline = (Get-Date).AddSeconds(30)
                while (-not (Get-ChildItem $backups -Force -Directory -Filter '.sqlitebackup-*.tmp' | Where-Object { Get-ChildItem $_ -Filter 'restore.db' }) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 20 }
                Start-Sleep -Milliseconds 300
                Stop-Process -Id $child.Id -Force
                $child.WaitForExit()
            }
            finally { $holder.Dispose() }
            @(Get-ChildItem $d -Force -Filter '.sqlitebackup-*.tmp').Count | Should -Be 0
            $left = @(Get-ChildItem $backups -Force -Directory -Filter '.sqlitebackup-*.tmp')
            $left.Count | Should -Be 1
            (Get-Item (Join-Path $left[0].FullName 'restore.db')).Length | Should -BeGreaterThan 0

            $b | Restore-SqliteBackup -Destination $db -Force -NoPreRestoreBackup -Confirm:$false | Out-Null
            Test-Path $left[0].FullName | Should -BeFalse
            @(Get-ChildItem $d -Force -Filter '.sqlitebackup-*').Count | Should -Be 0
            @(Get-ChildItem $backups -Force -Directory -Filter '.sqlitebackup-*').Count | Should -Be 0
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
