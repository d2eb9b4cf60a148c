BeforeDiscovery {
    $script:rgwScript = if ($env:SQLITEBACKUP_RADOSGW) { $env:SQLITEBACKUP_RADOSGW } else { Join-Path $PSScriptRoot '../servers/radosgw.sh' }
    $script:haveServer = (Test-Path $rgwScript) -and (Get-Command radosgw -ErrorAction Ignore) -and (Get-Command ceph-mon -ErrorAction Ignore)
    if (-not $haveServer -and $env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'radosgw is required for the remote incremental test (SQLITEBACKUP_REQUIRE_CLI=1)' }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # Until the consumer cmdlets read snapshots: the Core reader reassembles one into a plain database file.
    function Export-Snapshot([string] $Location, $Backup, [string] $Path) {
        $store = [SqliteBackup.Core.Storage.StoreRegistry]::Open($Location, $null)
        try { [SqliteBackup.Core.Repository.SnapshotReader]::Reassemble($store, $Backup.Manifest, $Path, $null, [Threading.CancellationToken]::None) }
        finally { $store.Dispose() }
    }
    function Assert-Sqlite([string] $Path, [long] $Rows) {
        if (-not (Get-Command sqlite3 -ErrorAction SilentlyContinue)) {
            if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'sqlite3 is required here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'sqlite3 is not installed'
            return
        }
        & sqlite3 $Path 'PRAGMA integrity_check; SELECT count(*) FROM filler;' | Should -Be @('ok', "$Rows")
    }
    function New-FillerDatabase([string] $Path) {
        Invoke-Sql $Path "PRAGMA journal_mode=WAL; CREATE TABLE filler(id INTEGER PRIMARY KEY, pad BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) INSERT INTO filler SELECT i, randomblob(1000) FROM n;" | Out-Null
        $Path
    }
}

Describe 'New-SqliteBackup -Incremental' {
    It 'takes two snapshots into a local repository, the second storing only what changed, and each reassembles into a database sqlite3 reads' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $repo = Join-Path $dir 'repo'
        $first = New-SqliteBackup $db -BackupPath $repo -Incremental
        Invoke-Sql $db 'UPDATE filler SET pad = randomblob(1000) WHERE id IN (5, 2000, 3999); PRAGMA wal_checkpoint(TRUNCATE);' | Out-Null
        $second = New-SqliteBackup $db -BackupPath $repo -Incremental

        $first.Manifest.SchemaVersion | Should -Be 2
        $second.Manifest.File | Should -BeLike 'app_*_manual_*.snapshot'
        Test-Path "$(Join-Path $repo $second.Manifest.File).manifest.json" | Should -BeTrue
        Test-Path (Join-Path $repo 'sqlitebackup-repository.json') | Should -BeTrue
        $second.Manifest.Repository.Parent | Should -Be $first.Manifest.Id
        $second.Manifest.Repository.AddedSize | Should -BeLessThan ($first.Manifest.Repository.AddedSize / 20)
        $second.Manifest.Verifications[0].Level | Should -Be 'Standard'

        $out = Join-Path $dir 'second.db'
        Export-Snapshot $repo $second $out
        (Get-FileHash $out -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $second.Manifest.RawSha256
        Assert-Sqlite $out 4000
    }

    It 'refuses another compression and a block size other than the repository''s, writing nothing' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $repo = Join-Path $dir 'repo'
        { New-SqliteBackup $db -BackupPath $repo -Incremental -Compression Gzip -ErrorAction Stop } | Should -Throw -ErrorId 'IncrementalNeedsZstd,SqliteBackup.PowerShell.NewSqliteBackupCommand'
        New-SqliteBackup $db -BackupPath $repo -Incremental -BlockSize 16384 -Verify Quick | Out-Null
        $before = @(Get-ChildItem $repo).Count
        { New-SqliteBackup $db -BackupPath $repo -Incremental -BlockSize 4096 -ErrorAction Stop } | Should -Throw -ErrorId 'RepositoryBlockSizeMismatch,SqliteBackup.PowerShell.NewSqliteBackupCommand'
        @(Get-ChildItem $repo).Count | Should -Be $before
        { New-SqliteBackup $db -BackupPath $repo -BlockSize 4096 -ErrorAction Stop } | Should -Throw -ErrorId 'BlockSizeWithoutIncremental,SqliteBackup.PowerShell.NewSqliteBackupCommand'
    }

    It 'says what it would do under -WhatIf and writes nothing' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        New-SqliteBackup $db -BackupPath (Join-Path $dir 'repo') -Incremental -WhatIf | Should -BeNullOrEmpty
        Test-Path (Join-Path $dir 'repo') | Should -BeFalse
    }
}

Describe 'New-SqliteBackup -Incremental into s3://' -Skip:(-not $haveServer) {
    BeforeAll {
        $script:serverDir = Join-Path ([IO.Path]::GetTempPath()) ("sbt-rgw-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        function Get-FreePort { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p }
        $port = Get-FreePort; $monPort = Get-FreePort
        $script:started = $true
        $out = bash $rgwScript start $serverDir $port $monPort 2>&1
        if ($LASTEXITCODE -ne 0) { throw "radosgw did not start: $out" }
        $script:endpoint = "http://127.0.0.1:$port/"
        $script:saved = @{}
        foreach ($n in 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_ENDPOINT_URL_S3') { $saved[$n] = [Environment]::GetEnvironmentVariable($n) }
        $env:AWS_ACCESS_KEY_ID = 'TESTKEY'; $env:AWS_SECRET_ACCESS_KEY = 'TESTSECRET'; $env:AWS_REGION = 'us-east-1'; $env:AWS_ENDPOINT_URL_S3 = $endpoint
        $moduleBase = (Get-Module SqliteBackup).ModuleBase
        Add-Type -Path (Join-Path $moduleBase 'AWSSDK.Core.dll'), (Join-Path $moduleBase 'AWSSDK.S3.dll')
        $config = [Amazon.S3.AmazonS3Config]::new()
        $config.ServiceURL = $endpoint; $config.ForcePathStyle = $true; $config.AuthenticationRegion = 'us-east-1'
        $config.RequestChecksumCalculation = 'WHEN_REQUIRED'; $config.ResponseChecksumValidation = 'WHEN_REQUIRED'
        $script:s3 = [Amazon.S3.AmazonS3Client]::new([Amazon.Runtime.BasicAWSCredentials]::new('TESTKEY', 'TESTSECRET'), $config)
    }

    AfterAll {
        if ($s3) { $s3.Dispose() }
        foreach ($n in $saved.Keys) { [Environment]::SetEnvironmentVariable($n, $saved[$n]) }
        if ($script:started) { bash $rgwScript stop $script:serverDir | Out-Null }
        Remove-Item -Recurse -Force $serverDir -ErrorAction Ignore
    }

    It 'takes two snapshots into a bucket, the second small, and the second reassembles' {
        $bucket = 't-' + [guid]::NewGuid().ToString('N').Substring(0, 20)
        $r = [Amazon.S3.Model.PutBucketRequest]::new(); $r.BucketName = $bucket; $r.BucketRegionName = 'us-east-1'
        $s3.PutBucketAsync($r).GetAwaiter().GetResult() | Out-Null
        $loc = "s3://$bucket/repo"
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $first = New-SqliteBackup $db -BackupPath $loc -Incremental
        Invoke-Sql $db 'UPDATE filler SET pad = randomblob(1000) WHERE id IN (7, 3000); PRAGMA wal_checkpoint(TRUNCATE);' | Out-Null
        $second = New-SqliteBackup $db -BackupPath $loc -Incremental -Verify Full
        $second.Manifest.Repository.Parent | Should -Be $first.Manifest.Id
        $second.Manifest.Repository.AddedSize | Should -BeLessThan ($first.Manifest.Repository.AddedSize / 20)
        $out = Join-Path $dir 'remote.db'
        Export-Snapshot $loc $second $out
        Assert-Sqlite $out 4000
    }
}
