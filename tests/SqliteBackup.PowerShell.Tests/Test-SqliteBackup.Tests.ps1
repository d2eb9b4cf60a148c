BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Test-SqliteBackup' {
    It 'verifies backups from the pipeline at each level and records the result in the manifest' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $b = New-SqliteBackup (Join-Path $dir 'app.db') -Verify None
        $b.Verified | Should -BeNullOrEmpty

        $quick = $b | Test-SqliteBackup -Level Quick
        $quick.Checks.Name | Should -Be @('FilePresent', 'Size', 'Sha256')
        $full = $b | Test-SqliteBackup -Level Full -Query 'SELECT count(*) FROM departments'
        $full.Passed | Should -BeTrue
        $full.Checks.Name | Should -Contain 'IntegrityCheck'
        $full.Checks.Name | Should -Contain 'Query'

        $listed = Get-SqliteBackup (Join-Path $dir 'backups')
        $listed.Verified | Should -BeTrue
        $listed.Manifest.Verifications.Level | Should -Be @('Quick', 'Full')
        $listed.LastVerification | Should -BeGreaterThan (Get-Date).AddMinutes(-5)
    }

    It 'takes a backup file path' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $b = New-SqliteBackup (Join-Path $dir 'app.db')
        (Test-SqliteBackup -Path $b.Path).Passed | Should -BeTrue
        (Test-SqliteBackup -Path "$($b.Path).manifest.json" -Level Quick).Passed | Should -BeTrue
    }

    It 'reports a damaged backup as Passed = False with a warning, and Get-SqliteBackup then shows it as not verified' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $b = New-SqliteBackup (Join-Path $dir 'app.db')
        $bytes = [IO.File]::ReadAllBytes($b.Path); $bytes[100] = $bytes[100] -bxor 1; [IO.File]::WriteAllBytes($b.Path, $bytes)
        $r = $b | Test-SqliteBackup -WarningVariable w -WarningAction SilentlyContinue
        $r.Passed | Should -BeFalse
        $r.Message | Should -Match '^Sha256'
        $w.Count | Should -Be 1
        (Get-SqliteBackup (Join-Path $dir 'backups')).Verified | Should -BeFalse
    }

    It 'refuses -Query without -Level Full' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $b = New-SqliteBackup (Join-Path $dir 'app.db')
        { $b | Test-SqliteBackup -Query 'SELECT 1' -ErrorAction Stop } | Should -Throw -ErrorId 'QueryNeedsFullLevel,SqliteBackup.PowerShell.TestSqliteBackupCommand'
    }

    It 'reports a path that is not a backup as BackupNotFound' {
        $dir = New-TestFolder
        Set-Content (Join-Path $dir 'x.db') 'x'
        { Test-SqliteBackup -Path (Join-Path $dir 'x.db') -ErrorAction Stop } | Should -Throw -ErrorId 'BackupNotFound,SqliteBackup.PowerShell.TestSqliteBackupCommand'
    }

    It 'refuses a manifest that names a file other than its own backup' {
        $d = New-TestFolder
        $db = Join-Path $d 'app.db'
        New-TinyDatabase $db | Out-Null
        $b = New-SqliteBackup $db -Destination (Join-Path $d 'backups') -Verify None
        $planted = Join-Path $d 'backups/X.manifest.json'
        # Names a real backup file, just not its own: the manifest's name decides which file it may describe.
        Copy-Item $b.ManifestPath $planted
        Test-SqliteBackup -Path $planted -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UntrustedBackupFile*'
    }

    It 'says a folder or a database given as -Path is not a backup, and how to get at its backups' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        New-SqliteBackup (Join-Path $dir 'app.db') | Out-Null
        $backups = Join-Path $dir 'backups'
        $e = $null
        Test-SqliteBackup -Path $backups -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'BackupPathIsDirectory,SqliteBackup.PowerShell.TestSqliteBackupCommand'
        "$($e[0])" | Should -Match 'is a directory, not a backup'
        $e[0].ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape("Get-SqliteBackup '$backups' | Test-SqliteBackup"))
        Test-SqliteBackup -Path (Join-Path $dir 'app.db') -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'BackupPathIsDatabase,SqliteBackup.PowerShell.TestSqliteBackupCommand'
        "$($e[0])" | Should -Match 'is a database file, not a backup'
        $e[0].ErrorDetails.RecommendedAction | Should -Match 'Get-SqliteBackup -Database app'
    }
}

Describe 'Test-SqliteBackup and Remove-SqliteBackup over a wildcard or a folder listing' {
    It 'checks each backup once and passes over the backup log, whether a wildcard or Get-ChildItem names the files' {
        $dir = New-TestFolder
        New-TinyDatabase (Join-Path $dir 'app.db') | Out-Null
        New-TinyDatabase (Join-Path $dir 'crm.db') | Out-Null
        $made = New-SqliteBackup (Join-Path $dir 'app.db'), (Join-Path $dir 'crm.db') -Verify None
        $bk = Join-Path $dir 'backups'
        $listed = Get-ChildItem $bk | Test-SqliteBackup -Level Quick -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Should -BeNullOrEmpty -Because 'the backup log in the folder is not an error'
        ($listed.Backup.Id | Sort-Object) | Should -Be ($made.Id | Sort-Object)
        (Test-SqliteBackup (Join-Path $bk 'app_*') -Level Quick).Backup.Id | Should -Be ($made | Where-Object Database -eq 'app').Id
        # Objects with a Path (backups, rotation decisions, hand-made) still bind -Path by property name.
        ($made | Select-Object Path | Test-SqliteBackup -Level Quick).Backup.Id | Should -Be $made.Id
        Remove-SqliteBackup (Join-Path $bk 'crm_*') -Confirm:$false
        (Get-SqliteBackup $bk).Database | Should -Be 'app'
    }
}
