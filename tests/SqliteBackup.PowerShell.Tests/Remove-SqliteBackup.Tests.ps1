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
}
