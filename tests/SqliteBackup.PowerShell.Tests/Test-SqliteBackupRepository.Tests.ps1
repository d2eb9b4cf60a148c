BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # Two snapshots of a database of random rows: A, then B after more rows (B shares A's packs and adds its own).
    function New-Repository {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        $repo = Join-Path $dir 'repo'
        Invoke-Sql $db 'PRAGMA journal_mode=WAL; CREATE TABLE filler(id INTEGER PRIMARY KEY, pad BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800) INSERT INTO filler SELECT i, randomblob(1000) FROM n;' | Out-Null
        $a = New-SqliteBackup $db -BackupPath $repo -Incremental -Verify Quick
        Invoke-Sql $db 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO filler(pad) SELECT randomblob(1000) FROM n;' | Out-Null
        $b = New-SqliteBackup $db -BackupPath $repo -Incremental -Verify Quick
        [pscustomobject]@{ Repo = $repo; A = $a; B = $b }
    }
}

Describe 'Test-SqliteBackupRepository' {
    It 'reads every pack of a sound repository and says so in one summary, last' {
        $r = New-Repository
        $out = @(Test-SqliteBackupRepository $r.Repo -ErrorVariable err)
        $err.Count | Should -Be 0
        $out.Count | Should -Be 1
        $summary = $out[-1]
        $summary.Sound | Should -BeTrue
        $summary.Snapshots | Should -Be 2
        $packs = @(Get-ChildItem $r.Repo -Filter 'pack-*.pack')
        $summary.Packs | Should -Be $packs.Count
        $summary.BytesRead | Should -BeGreaterOrEqual (($packs | Measure-Object Length -Sum).Sum)
    }

    It 'names a pack with a flipped byte and every snapshot that needs it, with a RepositoryCheckFailed error' {
        $r = New-Repository
        # A pack both snapshots use: A's first pack.
        $shared = $r.A.Manifest.Repository.Packs[0].Name
        $path = Join-Path $r.Repo $shared
        $bytes = [IO.File]::ReadAllBytes($path)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0xFF
        [IO.File]::WriteAllBytes($path, $bytes)

        $out = @(Test-SqliteBackupRepository $r.Repo -ErrorVariable err -ErrorAction SilentlyContinue)
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RepositoryCheckFailed*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems = @($out | Where-Object { $_ -is [SqliteBackup.Core.Repository.RepositoryProblem] })
        $problems.Count | Should -BeGreaterThan 0
        $problems.Object | Should -Contain $shared
        $affected = $out[-1].AffectedSnapshots
        $out[-1].Sound | Should -BeFalse
        ($affected -join ' ') | Should -Match $r.A.Id.Substring(0, 8)
        ($affected -join ' ') | Should -Match $r.B.Id.Substring(0, 8)
    }

    It 'reports a deleted pack as missing, only against the snapshot that needs it' {
        $r = New-Repository
        $onlyB = @($r.B.Manifest.Repository.Packs.Name | Where-Object { $_ -notin $r.A.Manifest.Repository.Packs.Name })
        $onlyB.Count | Should -BeGreaterThan 0
        Remove-Item (Join-Path $r.Repo $onlyB[0])

        $out = @(Test-SqliteBackupRepository $r.Repo -ErrorVariable err -ErrorAction SilentlyContinue)
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RepositoryCheckFailed*'
        $affected = $out[-1].AffectedSnapshots -join ' '
        $affected | Should -Match $r.B.Id.Substring(0, 8)
        $affected | Should -Not -Match $r.A.Id.Substring(0, 8)
    }
}
