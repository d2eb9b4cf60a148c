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
        $b | Restore-SqliteBackup -Destination (Join-Path $dir 'copy2.db') -Confirm:$false -WarningVariable w2 | Out-Null
        @($w2).Count | Should -Be 0   # the object from before the change still has its true date
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
}
