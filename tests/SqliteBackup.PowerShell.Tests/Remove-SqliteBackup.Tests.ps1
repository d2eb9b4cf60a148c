BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Remove-SqliteBackup' {
    BeforeEach {
        $script:dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $script:backupDir = Join-Path $dir 'backups'
        1..3 | ForEach-Object { New-SqliteBackup (Join-Path $dir 'app.db') -Verify Quick } | Out-Null
    }

    It 'removes nothing with -WhatIf' {
        Get-SqliteBackup $backupDir | Remove-SqliteBackup -WhatIf
        @(Get-SqliteBackup $backupDir).Count | Should -Be 3
        @(Get-ChildItem $backupDir -Filter *.db*).Count | Should -Be 6
    }

    It 'removes the backup file and its manifest' {
        $victim = (Get-SqliteBackup $backupDir)[0]
        $victim | Remove-SqliteBackup -Confirm:$false
        Test-Path $victim.Path | Should -BeFalse
        Test-Path $victim.ManifestPath | Should -BeFalse
        (Get-SqliteBackup $backupDir).Id | Should -Not -Contain $victim.Id
        @(Get-ChildItem $backupDir -Filter *.db*).Count | Should -Be 4
    }

    It 'removes by path' {
        $victim = (Get-SqliteBackup $backupDir)[1]
        Remove-SqliteBackup -Path $victim.Path -Confirm:$false
        @(Get-SqliteBackup $backupDir).Count | Should -Be 2
    }

    It 'asks before removing: ConfirmImpact is High' {
        $meta = [System.Management.Automation.CommandMetadata]::new((Get-Command Remove-SqliteBackup))
        $meta.ConfirmImpact | Should -Be 'High'
        $meta.SupportsShouldProcess | Should -BeTrue
    }

    It 'deletes nothing when a manifest names a file that is not its own backup' {
        $real = (Get-SqliteBackup $backupDir)[0]
        Set-Content (Join-Path $backupDir 'important.txt') 'precious'
        $json = (Get-Content -Raw $real.ManifestPath) -replace '"file":\s*"[^"]*"', '"file": "important.txt"'
        $planted = Join-Path $backupDir 'X.manifest.json'
        Set-Content $planted $json
        Remove-SqliteBackup -Path $planted -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UntrustedBackupFile*'
        Get-Content (Join-Path $backupDir 'important.txt') | Should -Be 'precious'
        Test-Path $planted | Should -BeTrue
    }

    It 'refuses an orphan and tells how to register it' {
        $victim = (Get-SqliteBackup $backupDir)[0]
        Remove-Item $victim.ManifestPath
        (Get-Item $victim.Path).LastWriteTimeUtc = (Get-Date).ToUniversalTime().AddDays(-2)
        Get-SqliteBackup $backupDir -IncludeOrphans -WarningAction SilentlyContinue | Where-Object IsOrphan |
            Remove-SqliteBackup -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OrphanNotRegistered*'
        Test-Path $victim.Path | Should -BeTrue
    }
}
