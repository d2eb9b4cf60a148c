# Every reading cmdlet on snapshots of an incremental repository, beside plain backups in the same folder.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    function Assert-Sqlite([string] $Path, [string] $Sql, $Expected) {
        if (-not (Get-Command sqlite3 -ErrorAction SilentlyContinue)) {
            if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'sqlite3 is required here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'sqlite3 is not installed'
            return
        }
        & sqlite3 $Path $Sql | Should -Be $Expected
    }
    function New-FillerDatabase([string] $Path, [int] $Rows = 3000) {
        Invoke-Sql $Path "PRAGMA journal_mode=WAL; CREATE TABLE filler(id INTEGER PRIMARY KEY, pad BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $Rows) INSERT INTO filler SELECT i, randomblob(1000) FROM n;" | Out-Null
        $Path
    }
    # One plain backup and one snapshot of the same database in one folder.
    function New-Both([string] $Db, [string] $Dir) {
        $plain = New-SqliteBackup $Db -BackupPath $Dir -Verify Quick
        $snap = New-SqliteBackup $Db -BackupPath $Dir -Incremental -Verify Quick
        [pscustomobject]@{ Plain = $plain; Snapshot = $snap; Pack = Join-Path $Dir $snap.Manifest.Repository.Packs[0].Name }
    }
}

Describe 'Get-SqliteBackup on snapshots' {
    It 'lists a snapshot beside a plain backup with its Format, and filters both alike' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $other = New-FillerDatabase (Join-Path $dir 'other.db') 10
        $both = New-Both $db (Join-Path $dir 'b')
        New-SqliteBackup $other -BackupPath (Join-Path $dir 'b') -Incremental -Type PreMigration -Verify Quick | Out-Null

        $all = Get-SqliteBackup (Join-Path $dir 'b') -WarningVariable w
        $w | Should -BeNullOrEmpty
        $all.Count | Should -Be 3
        ($all | Where-Object Id -eq $both.Snapshot.Id).Format | Should -Be 'Snapshot'
        ($all | Where-Object Id -eq $both.Plain.Id).Format | Should -Be 'Plain'
        ($all | Where-Object Id -eq $both.Snapshot.Id).Size | Should -Be $both.Snapshot.Manifest.StoredSize
        @(Get-SqliteBackup (Join-Path $dir 'b') -Database app).Count | Should -Be 2
        $pm = @(Get-SqliteBackup (Join-Path $dir 'b') -Type PreMigration)
        $pm.Count | Should -Be 1
        $pm[0].Format | Should -Be 'Snapshot'
        # The table has a Format column; a snapshot's manifest named by path (or matched by a wildcard) is that snapshot.
        ($all | Format-Table | Out-String) | Should -Match 'Format'
        ($all | Format-Table | Out-String) | Should -Match 'Snapshot'
        (Get-SqliteBackup (Join-Path $dir 'b' '*.snapshot.manifest.json')).Count | Should -Be 2
        (Get-ChildItem (Join-Path $dir 'b') -Filter 'app_*.snapshot.manifest.json' | Test-SqliteBackup -Level Quick).Passed | Should -BeTrue
    }

    It 'reports a snapshot whose pack is gone instead of leaving it out, and Quick says which pack' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $both = New-Both $db (Join-Path $dir 'b')
        Remove-Item $both.Pack
        $listed = Get-SqliteBackup (Join-Path $dir 'b') | Where-Object Id -eq $both.Snapshot.Id
        $listed | Should -Not -BeNullOrEmpty
        $r = $listed | Test-SqliteBackup -Level Quick -WarningAction SilentlyContinue
        $r.Outcome | Should -Be 'Failed'
        $r.Message | Should -Match ([regex]::Escape((Split-Path $both.Pack -Leaf)) + ' is missing')
    }
}

Describe 'Test-SqliteBackup on snapshots' {
    It 'Get-SqliteBackup | Where Size -lt 1KB | Test-SqliteBackup checks the small plain and snapshot backups alike' {
        $dir = New-TestFolder
        $b = Join-Path $dir 'b'
        $tiny = (New-TinyDatabase (Join-Path $dir 'tiny.db')).FullName
        $big = New-FillerDatabase (Join-Path $dir 'big.db')
        New-Both $tiny $b | Out-Null
        New-Both $big $b | Out-Null
        $results = Get-SqliteBackup $b | Where-Object Size -lt 1KB | Test-SqliteBackup -Level Standard
        $results.Count | Should -Be 2
        $results | ForEach-Object { $_.Passed | Should -BeTrue }
        ($results.Backup.Format | Sort-Object) | Should -Be @('Plain', 'Snapshot')
        ($results.Backup.Database | Sort-Object -Unique) | Should -Be 'tiny'
        # Recorded in the snapshot's own manifest, still a version-2 snapshot manifest.
        $again = Get-SqliteBackup $b -Database tiny | Where-Object Format -eq 'Snapshot'
        $again.Manifest.SchemaVersion | Should -Be 2
        $again.Manifest.Verifications[-1].Level | Should -Be 'Standard'
        $again.Verified | Should -BeTrue
    }

    It 'passes Full on a snapshot, fails Standard naming the pack with one byte flipped in it' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $both = New-Both $db (Join-Path $dir 'b')
        $full = $both.Snapshot | Test-SqliteBackup -Level Full -Query 'SELECT count(*) FROM filler'
        $full.Passed | Should -BeTrue
        $full.Checks.Name | Should -Be @('PacksPresent', 'Reassemble', 'QuickCheck', 'IntegrityCheck', 'ForeignKeyCheck', 'RowCounts', 'Query')

        $bytes = [IO.File]::ReadAllBytes($both.Pack)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 1
        [IO.File]::WriteAllBytes($both.Pack, $bytes)
        $r = $both.Snapshot | Test-SqliteBackup -Level Standard -WarningAction SilentlyContinue
        $r.Outcome | Should -Be 'Failed'
        $r.Message | Should -Match ([regex]::Escape((Split-Path $both.Pack -Leaf)))
        (Get-SqliteBackup (Join-Path $dir 'b') | Where-Object Id -eq $both.Snapshot.Id).Verified | Should -BeFalse
        # The plain backup beside it is not affected.
        ($both.Plain | Test-SqliteBackup -Level Standard).Passed | Should -BeTrue
    }
}

Describe 'Restore-SqliteBackup from a snapshot' {
    It 'restores a snapshot byte-identical to its raw SHA-256, and sqlite3 reads the result' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $both = New-Both $db (Join-Path $dir 'b')
        $target = Join-Path $dir 'restored.db'
        $r = Get-SqliteBackup (Join-Path $dir 'b') | Where-Object Format -eq 'Snapshot' | Restore-SqliteBackup -Destination $target -Confirm:$false
        $r.Destination | Should -Be $target
        (Get-FileHash $target -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $both.Snapshot.Manifest.RawSha256
        Assert-Sqlite $target 'PRAGMA integrity_check; SELECT count(*) FROM filler;' @('ok', '3000')
    }

    It 'over the live database keeps the guards: a PreRestore backup first, the rows of the snapshot after' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $both = New-Both $db (Join-Path $dir 'b')
        Invoke-Sql $db 'DELETE FROM filler WHERE id > 100' | Out-Null
        { $both.Snapshot | Restore-SqliteBackup -Destination $db -ErrorAction Stop } | Should -Throw -ErrorId 'RestoreTargetExists,SqliteBackup.PowerShell.RestoreSqliteBackupCommand'
        $r = $both.Snapshot | Restore-SqliteBackup -Destination $db -Force -Confirm:$false
        $r.PreRestoreBackup | Should -Not -BeNullOrEmpty
        Invoke-Sql $db 'SELECT count(*) FROM filler' | Should -Be 3000
    }

    It 'refuses a snapshot with a missing pack and leaves the target as it was' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $both = New-Both $db (Join-Path $dir 'b')
        Remove-Item $both.Pack
        $target = Join-Path $dir 'restored.db'
        { $both.Snapshot | Restore-SqliteBackup -Destination $target -ErrorAction Stop } | Should -Throw -ExpectedMessage "*$(Split-Path $both.Pack -Leaf)*"
        Test-Path $target | Should -BeFalse
    }
}

Describe 'Measure-SqliteBackup and Export-SqliteBackupReport with a repository' {
    It 'measures logical against stored size once per repository, per database, and the report counts the repository once' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $b = Join-Path $dir 'b'
        $both = New-Both $db $b
        Invoke-Sql $db 'UPDATE filler SET pad = randomblob(1000) WHERE id IN (3, 1500)' | Out-Null
        $second = New-SqliteBackup $db -BackupPath $b -Incremental -Verify Quick
        $repoBytes = (Get-ChildItem $b -File | Where-Object { $_.Name -like 'pack-*' -or $_.Name -like '*.snapshot.manifest.json' } | Measure-Object Length -Sum).Sum

        $m = Measure-SqliteBackup $b
        $m.Count | Should -Be 3
        $m.Snapshots | Should -Be 2
        $m.RepositoryStoredSize | Should -Be $repoBytes
        $m.LogicalSize | Should -Be ($both.Snapshot.RawSize + $second.RawSize)
        $m.TotalStoredSize | Should -Be ($both.Plain.StoredSize + $repoBytes)
        $m.DedupRatio | Should -BeGreaterThan 1.5
        $m.RepositoryByDatabase['app'].Snapshots | Should -Be 2
        $m.Repositories[0].Location | Should -Be (Get-Item $b).FullName
        # Piped snapshots of one database: the same repository, measured once.
        (Get-SqliteBackup $b | Where-Object Format -eq 'Snapshot' | Measure-SqliteBackup).RepositoryStoredSize | Should -Be $repoBytes

        $report = Join-Path $dir 'report.html'
        Export-SqliteBackupReport -Path $report -BackupPath $b | Out-Null
        $html = Get-Content $report -Raw
        $html | Should -Match "data-stat=`"total-stored-size`" data-value=`"$($both.Plain.StoredSize + $repoBytes)`""
        $html | Should -Match "data-stat=`"repository-stored-size`" data-value=`"$repoBytes`""
        ([regex]::Matches($html, '<td class="format">Snapshot</td>')).Count | Should -Be 2
    }
}
