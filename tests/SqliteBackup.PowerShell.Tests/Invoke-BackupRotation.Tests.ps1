BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Invoke-BackupRotation' {
    BeforeEach {
        $script:dir = New-TestFolder
        $script:db = Join-Path $dir 'app.db'
        $script:backupDir = Join-Path $dir 'backups'
        New-SqliteSampleDatabase $db | Out-Null
        $script:newest = [datetime]::new(2026, 3, 20, 2, 0, 0, [DateTimeKind]::Utc)
        $script:daily = New-DailyBackups $db $backupDir 10 $newest
    }

    It 'removes nothing with -WhatIf but still decides every backup' {
        $decisions = Invoke-BackupRotation $backupDir -KeepDaily 3 -Utc -WhatIf
        $decisions.Count | Should -Be 10
        @($decisions | Where-Object Action -eq Remove).Count | Should -Be 7
        @($decisions | Where-Object Removed).Count | Should -Be 0
        @(Get-SqliteBackup $backupDir).Count | Should -Be 10
        @(Get-ChildItem $backupDir -Filter *.db*).Count | Should -Be 20
    }

    It 'removes the files and manifests the policy does not keep, and explains each decision' {
        $manual = New-SqliteBackup $db -Destination $backupDir -Type Manual -Verify None
        Set-BackupCreated $manual $newest.AddDays(-100)
        $decisions = Invoke-BackupRotation $backupDir -KeepDaily 3 -Utc -Confirm:$false
        $kept = $decisions | Where-Object Action -eq Keep
        $removed = $decisions | Where-Object Action -eq Remove
        $kept.Count | Should -Be 4
        ($kept | Where-Object Type -eq Manual).Reasons | Should -Be @('manual')
        ($kept | Where-Object Type -eq Automatic).Reasons | Should -Be @('daily snapshot', 'daily snapshot', 'daily snapshot')
        ($kept | Where-Object Type -eq Automatic | ForEach-Object { $_.Backup.CreatedUtc.Day } | Sort-Object) | Should -Be @(18, 19, 20)
        $removed.Count | Should -Be 7
        $removed.Removed | Should -Not -Contain $false
        foreach ($r in $removed) { $r.Reasons | Should -Be @('not kept by any rule (keep 3 daily snapshots)') }
        foreach ($r in $removed) { Test-Path $r.Path | Should -BeFalse; Test-Path $r.Backup.ManifestPath | Should -BeFalse }
        (Get-SqliteBackup $backupDir).Id | Sort-Object | Should -Be ($kept.Backup.Id | Sort-Object)
        @(Get-ChildItem $backupDir -Filter *.db*).Count | Should -Be 8
    }

    It 'takes backups from the pipeline and rotates only those' {
        $other = Join-Path $dir 'crm.db'
        New-SqliteSampleDatabase $other | Out-Null
        New-DailyBackups $other $backupDir 4 $newest | Out-Null
        $decisions = Get-SqliteBackup $backupDir -Database app | Invoke-BackupRotation -KeepLast 2 -Confirm:$false
        $decisions.Count | Should -Be 10
        @(Get-SqliteBackup $backupDir -Database app).Count | Should -Be 2
        @(Get-SqliteBackup $backupDir -Database crm).Count | Should -Be 4
    }

    It 'uses daily 30, weekly 12, monthly 12 when no rule is given' {
        $decisions = Invoke-BackupRotation $backupDir -Utc -Confirm:$false
        @($decisions | Where-Object Action -eq Remove).Count | Should -Be 0
        $decisions[0].Reasons | Should -Be @('daily snapshot', 'weekly snapshot', 'monthly snapshot')
    }

    It 'accepts durations in restic form and as a TimeSpan (like restic, a backup exactly at the limit is outside)' {
        (Invoke-BackupRotation $backupDir -KeepWithin '2d' -Utc -WhatIf | Where-Object Action -eq Keep).Count | Should -Be 2
        (Invoke-BackupRotation $backupDir -KeepWithin '2d1h' -Utc -WhatIf | Where-Object Action -eq Keep).Count | Should -Be 3
        (Invoke-BackupRotation $backupDir -KeepWithin ([timespan]::FromDays(4)) -Utc -WhatIf | Where-Object Action -eq Keep).Count | Should -Be 4
    }

    It 'never removes the newest backup that passed verification' {
        $oldest = (Get-SqliteBackup $backupDir)[0]
        $oldest | Test-SqliteBackup -Level Quick | Out-Null
        $decisions = Invoke-BackupRotation $backupDir -KeepLast 1 -Utc -Confirm:$false
        ($decisions | Where-Object { $_.Backup.Id -eq $oldest.Id }).Reasons | Should -Be @('newest verified')
        @(Get-SqliteBackup $backupDir).Count | Should -Be 2
    }

    It 'rejects a negative count other than -1' {
        { Invoke-BackupRotation $backupDir -KeepDaily -2 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,SqliteBackup.PowerShell.InvokeBackupRotationCommand'
        @(Get-SqliteBackup $backupDir).Count | Should -Be 10
    }

    It 'rejects a malformed duration and names it' {
        { Invoke-BackupRotation $backupDir -KeepWithin '3x' } | Should -Throw -ExpectedMessage "*'3x' is not a retention duration*"
        @(Get-SqliteBackup $backupDir).Count | Should -Be 10
    }

    It 'rejects a negative duration, a repeated unit and a negative TimeSpan before removing anything' {
        foreach ($bad in '-3d', '1d1d', '7d-2h') {
            { Invoke-BackupRotation $backupDir -KeepWithin $bad -Confirm:$false } | Should -Throw -ExpectedMessage "*'$bad' is not a retention duration*each unit at most once*such as 7d, 12h or 1y6m*"
        }
        { Invoke-BackupRotation $backupDir -KeepWithinDaily ([timespan]::FromDays(-3)) -Confirm:$false } | Should -Throw -ExpectedMessage '*negative*'
        @(Get-SqliteBackup $backupDir).Count | Should -Be 10
    }

    It 'reports an empty directory, a directory that is not a backup directory and a missing one' {
        $empty = New-TestFolder
        { Invoke-BackupRotation $empty -KeepLast 1 -ErrorAction Stop } | Should -Throw -ErrorId 'NoBackupsFound,SqliteBackup.PowerShell.InvokeBackupRotationCommand'
        $foreign = New-TestFolder
        Set-Content (Join-Path $foreign 'photo.jpg') 'not a backup'
        { Invoke-BackupRotation $foreign -KeepLast 1 -ErrorAction Stop } | Should -Throw -ErrorId 'NotABackupDirectory,SqliteBackup.PowerShell.InvokeBackupRotationCommand'
        Test-Path (Join-Path $foreign 'photo.jpg') | Should -BeTrue
        { Invoke-BackupRotation (Join-Path $dir 'nope') -KeepLast 1 -ErrorAction Stop } | Should -Throw -ErrorId 'BackupDirectoryNotFound,SqliteBackup.PowerShell.InvokeBackupRotationCommand'
    }

    It 'shows decisions as a table' {
        (Invoke-BackupRotation $backupDir -KeepLast 1 -Utc -WhatIf | Out-String -Width 120) | Should -Match 'Created\s+Database\s+Type\s+Action\s+Reasons'
    }
}

Describe 'Invoke-BackupRotation duration parsing' {
    It 'reads an unquoted 2d (a decimal literal to PowerShell) as two days, and a bare number as an error' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'a.db') | Out-Null
        New-DailyBackups (Join-Path $dir 'a.db') (Join-Path $dir 'b') 5 ([datetime]::new(2026, 3, 20, 2, 0, 0, [DateTimeKind]::Utc)) | Out-Null
        (Invoke-BackupRotation (Join-Path $dir 'b') -KeepWithin 2d -Utc -WhatIf | Where-Object Action -eq Keep).Count | Should -Be 2
        { Invoke-BackupRotation (Join-Path $dir 'b') -KeepWithin 2 -WhatIf } | Should -Throw -ExpectedMessage "*'2' is not a retention duration*"
    }

    It 'never deletes a file that a planted manifest names' {
        $d = New-TestFolder
        $db = Join-Path $d 'app.db'
        New-TinyDatabase $db | Out-Null
        $dest = Join-Path $d 'backups'
        $real = New-DailyBackups $db $dest 3 (Get-Date)
        Set-Content (Join-Path $dest 'important.txt') 'precious'
        $json = (Get-Content -Raw $real[0].ManifestPath) -replace '"file":\s*"[^"]*"', '"file": "important.txt"' -replace '"id":\s*"[^"]*"', '"id": "0123456789abcdef0123456789abcdef"'
        Set-Content (Join-Path $dest 'important.txt.manifest.json') $json
        Invoke-BackupRotation $dest -KeepLast 1 -Confirm:$false -WarningVariable warn -WarningAction SilentlyContinue | Out-Null
        Get-Content (Join-Path $dest 'important.txt') | Should -Be 'precious'
        ($warn -join "`n") | Should -BeLike '*important.txt*'
    }

    It 'refuses a directory others can write unless -AllowInsecureDirectory' -Skip:$IsWindows {
        $d = New-TestFolder
        $db = Join-Path $d 'app.db'
        New-TinyDatabase $db | Out-Null
        $dest = Join-Path $d 'backups'
        New-DailyBackups $db $dest 3 (Get-Date) | Out-Null
        chmod 1777 $dest
        Invoke-BackupRotation $dest -KeepLast 1 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InsecureBackupDirectory*'
        $err[0].CategoryInfo.Category | Should -Be 'SecurityError'
        @(Get-SqliteBackup $dest -AllowInsecureDirectory).Count | Should -Be 3
        Invoke-BackupRotation $dest -KeepLast 1 -Confirm:$false -AllowInsecureDirectory | Out-Null
        @(Get-SqliteBackup $dest -AllowInsecureDirectory).Count | Should -Be 1
    }
}

Describe 'Invoke-BackupRotation and a backup dated in the future' {
    It 'removes nothing on the strength of it, keeps it, and says which backup it is and how to fix the clock' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        $backups = Join-Path $dir 'backups'
        New-SqliteSampleDatabase $db | Out-Null
        $made = 1..3 | ForEach-Object { New-SqliteBackup $db -Destination $backups -Type Automatic -Verify Quick }
        $now = [datetime]::UtcNow
        Set-BackupCreated $made[0] $now.AddDays(-2)
        Set-BackupCreated $made[1] $now.AddHours(-1)
        Set-BackupCreated $made[2] $now.AddDays(30)   # the clock was a month ahead for this run

        $decisions = Invoke-BackupRotation $backups -KeepWithin 7d -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue

        @($decisions | Where-Object Removed).Count | Should -Be 0
        @(Get-SqliteBackup $backups).Count | Should -Be 3
        $future = $decisions | Where-Object FutureDated
        $future.Backup.Id | Should -Be $made[2].Id
        $future.Reasons | Should -Be @('dated in the future')
        @($w).Count | Should -Be 1
        "$w" | Should -BeLike "*$($made[2].Path)*dated in the future: $('{0:yyyy-MM-dd}' -f $now.AddDays(30))*correct it*Remove-SqliteBackup -Path*"
        (Get-SqliteBackupLog $backups -Event FutureDatedBackup).BackupId | Should -Be $made[2].Id
    }
}

Describe 'Invoke-BackupRotation on a repository' {
    BeforeEach {
        $script:dir = New-TestFolder
        $script:db = Join-Path $dir 'app.db'
        $script:repo = Join-Path $dir 'repo'
        $fill = 'PRAGMA journal_mode=WAL; CREATE TABLE filler(id INTEGER PRIMARY KEY, pad BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800) INSERT INTO filler SELECT i, randomblob(1000) FROM n;'
        Invoke-Sql $db $fill | Out-Null
        $script:plain = New-SqliteBackup $db -BackupPath $repo -Type Automatic -Verify Quick
        $script:a = New-SqliteBackup $db -BackupPath $repo -Incremental -Type Automatic -Verify Quick
        # A replacement database shares no block with A; C is B after a few row changes (B's pack and one of its own).
        Remove-Item "$db*"
        Invoke-Sql $db $fill | Out-Null
        $script:b = New-SqliteBackup $db -BackupPath $repo -Incremental -Type Automatic -Verify Quick
        Invoke-Sql $db 'UPDATE filler SET pad = randomblob(1000) WHERE id IN (5, 600);' | Out-Null
        $script:c = New-SqliteBackup $db -BackupPath $repo -Incremental -Type Automatic -Verify Quick
        # Written an hour and more ago: the prune's age guard is not what these test.
        Get-ChildItem $repo -Filter 'pack-*' | ForEach-Object { $_.LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-2) }
        $keep = @($c.Manifest.Repository.Packs.Name)
        $script:freed = @($a.Manifest.Repository.Packs.Name) + @($b.Manifest.Repository.Packs.Name) | Sort-Object -Unique | Where-Object { $_ -notin $keep }
        $script:packsBefore = @(Get-ChildItem $repo -Filter 'pack-*.pack').Name
    }

    It '-WhatIf decides plain backups and snapshots in one plan and says what the prune would free, deleting nothing' {
        # How many packs go depends on which blocks B happened to share with A (C inherits those references); the line
        # must say exactly what the manifests imply either way.
        $out = Invoke-BackupRotation $repo -KeepLast 1 -WhatIf -Verbose 4>&1
        $decisions = @($out | Where-Object { $_ -is [SqliteBackup.Core.Retention.RotationDecision] })
        $decisions.Count | Should -Be 4
        ($decisions | Where-Object Action -eq Keep).Backup.Id | Should -Be $c.Id
        $bytes = ($freed | ForEach-Object { (Get-Item (Join-Path $repo $_)).Length + (Get-Item (Join-Path $repo ($_ -replace '\.pack$', '.index'))).Length } | Measure-Object -Sum).Sum + 0
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" |
            Should -Match "$($freed.Count) pack\(s\) would be deleted, .* \($bytes bytes\) freed"
        @(Get-ChildItem $repo -Filter 'pack-*.pack').Name | Should -Be $packsBefore
        @(Get-SqliteBackup $repo).Count | Should -Be 4
    }

    It 'removes the manifests, prunes the packs only they used, and what is left passes Test-SqliteBackup -Level Standard' {
        $decisions = Invoke-BackupRotation $repo -KeepLast 1 -Confirm:$false
        @($decisions | Where-Object Removed).Count | Should -Be 3
        @(Get-SqliteBackup $repo).Id | Should -Be $c.Id
        Test-Path $plain.Path | Should -BeFalse
        @(Get-ChildItem $repo -Filter 'pack-*.pack').Name | Should -Be @($packsBefore | Where-Object { $_ -notin $freed })
        @(Get-ChildItem $repo -Filter 'lock-*').Count | Should -Be 0
        (Get-SqliteBackup $repo | Test-SqliteBackup -Level Standard).Passed | Should -BeTrue
    }
}
