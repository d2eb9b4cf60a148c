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

Describe 'Remove-SqliteBackup of a snapshot' {
    It 'deletes its manifest and then the packs no other snapshot needs' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        $repo = Join-Path $dir 'repo'
        $fill = 'PRAGMA journal_mode=WAL; CREATE TABLE filler(id INTEGER PRIMARY KEY, pad BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800) INSERT INTO filler SELECT i, randomblob(1000) FROM n;'
        Invoke-Sql $db $fill | Out-Null
        $a = New-SqliteBackup $db -BackupPath $repo -Incremental -Verify Quick
        Remove-Item "$db*"
        Invoke-Sql $db $fill | Out-Null
        $b = New-SqliteBackup $db -BackupPath $repo -Incremental -Verify Quick
        Get-ChildItem $repo -Filter 'pack-*' | ForEach-Object { $_.LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-2) }
        # B shares a few blocks (and so a pack) with A; the pack it wrote for the rest is its own.
        $onlyB = @($b.Manifest.Repository.Packs.Name | Where-Object { $_ -notin $a.Manifest.Repository.Packs.Name })
        $onlyB.Count | Should -BeGreaterThan 0

        Get-SqliteBackup $repo | Where-Object Id -eq $b.Id | Remove-SqliteBackup -Confirm:$false

        Test-Path $b.ManifestPath | Should -BeFalse
        $onlyB | ForEach-Object { Test-Path (Join-Path $repo $_) | Should -BeFalse; Test-Path (Join-Path $repo ($_ -replace '\.pack$', '.index')) | Should -BeFalse }
        $a.Manifest.Repository.Packs.Name | ForEach-Object { Test-Path (Join-Path $repo $_) | Should -BeTrue }
        @(Get-SqliteBackup $repo).Id | Should -Be $a.Id
        (Get-SqliteBackup $repo | Test-SqliteBackup -Level Standard).Passed | Should -BeTrue
    }
}
