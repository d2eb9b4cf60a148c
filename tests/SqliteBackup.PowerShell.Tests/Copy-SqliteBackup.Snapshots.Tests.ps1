# Copy-SqliteBackup on snapshots of an incremental repository: copied as snapshots (dedup kept), or exported -AsPlain.
BeforeDiscovery {
    $script:rgwScript = if ($env:SQLITEBACKUP_RADOSGW) { $env:SQLITEBACKUP_RADOSGW } else { Join-Path $PSScriptRoot '../servers/radosgw.sh' }
    $script:haveServer = (Test-Path $rgwScript) -and (Get-Command radosgw -ErrorAction Ignore) -and (Get-Command ceph-mon -ErrorAction Ignore)
    if (-not $haveServer -and $env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'radosgw is required for the remote snapshot copy test (SQLITEBACKUP_REQUIRE_CLI=1)' }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    function Require-Cli([string] $Name) {
        if (Get-Command $Name -ErrorAction SilentlyContinue) { return $true }
        if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw "$Name is required here (SQLITEBACKUP_REQUIRE_CLI=1)" }
        Set-ItResult -Skipped -Because "$Name is not installed"
        $false
    }
    function New-FillerDatabase([string] $Path) {
        Invoke-Sql $Path "PRAGMA journal_mode=WAL; CREATE TABLE filler(id INTEGER PRIMARY KEY, pad BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO filler SELECT i, randomblob(1000) FROM n;" | Out-Null
        $Path
    }
    # Two snapshots, the second after a few changed rows.
    function New-TwoSnapshots([string] $Db, [string] $Repo) {
        $first = New-SqliteBackup $Db -BackupPath $Repo -Incremental -Verify Quick
        Invoke-Sql $Db 'UPDATE filler SET pad = randomblob(1000) WHERE id IN (9, 2900); PRAGMA wal_checkpoint(TRUNCATE);' | Out-Null
        $second = New-SqliteBackup $Db -BackupPath $Repo -Incremental -Verify Quick
        @($first, $second)
    }
    function Get-Packs([string] $Dir) { @(Get-ChildItem $Dir -Filter 'pack-*.pack') }
}

Describe 'Copy-SqliteBackup of snapshots' {
    It 'copies snapshots into the destination''s repository, the second sending only its new packs, and they verify there' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $repo = Join-Path $dir 'repo'; $off = Join-Path $dir 'off'
        $first, $second = New-TwoSnapshots $db $repo

        $one = $first | Copy-SqliteBackup -Destination $off
        $one.Status | Should -Be 'Copied'
        $packsAfterFirst = (Get-Packs $off).Name
        $two = Get-SqliteBackup $repo | Where-Object Id -eq $second.Id | Copy-SqliteBackup $off
        $two.Status | Should -Be 'Copied'
        $new = @((Get-Packs $off).Name | Where-Object { $_ -notin $packsAfterFirst })
        $new | Sort-Object | Should -Be @($second.Manifest.Repository.AddedPacks | Sort-Object)
        Test-Path (Join-Path $off 'sqlitebackup-repository.json') | Should -BeTrue
        @(Get-ChildItem $off -Filter '*.db.zst').Count | Should -Be 0

        $there = Get-SqliteBackup $off
        $there.Count | Should -Be 2
        $there.Format | Sort-Object -Unique | Should -Be 'Snapshot'
        ($there | Where-Object Id -eq $second.Id).Manifest.CopiedFrom | Should -Be $second.Path
        $there | Test-SqliteBackup -Level Standard | ForEach-Object { $_.Passed | Should -BeTrue }

        (Get-SqliteBackup $repo | Copy-SqliteBackup $off).Status | Sort-Object -Unique | Should -Be 'AlreadyPresent'
    }

    It 'refuses a destination repository with another block size, writing nothing' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $snap = New-SqliteBackup $db -BackupPath (Join-Path $dir 'repo') -Incremental -Verify Quick
        $off = Join-Path $dir 'off'
        New-SqliteBackup $db -BackupPath $off -Incremental -BlockSize 16384 -Verify Quick | Out-Null
        $before = @(Get-ChildItem $off).Name
        { $snap | Copy-SqliteBackup $off -ErrorAction Stop } | Should -Throw -ErrorId 'RepositoryCopyIncompatible,SqliteBackup.PowerShell.CopySqliteBackupCommand'
        @(Get-ChildItem $off).Name | Should -Be $before
    }

    It 'exports a snapshot -AsPlain as a .db.zst backup that zstd and sqlite3 read' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $null, $second = New-TwoSnapshots $db (Join-Path $dir 'repo')
        $plainDir = Join-Path $dir 'plain'

        $r = $second | Copy-SqliteBackup $plainDir -AsPlain
        $r.Status | Should -Be 'Copied'
        $b = Get-SqliteBackup $plainDir
        $b.Format | Should -Be 'Plain'
        $b.Id | Should -Be $second.Id
        $b.Path | Should -BeLike '*.db.zst'
        $b.Manifest.RawSha256 | Should -Be $second.Manifest.RawSha256
        $b.Manifest.CopiedFrom | Should -Be $second.Path
        (Test-SqliteBackup $b -Level Standard).Passed | Should -BeTrue
        @(Get-Packs $plainDir).Count | Should -Be 0
        ($second | Copy-SqliteBackup $plainDir -AsPlain).Status | Should -Be 'AlreadyPresent'

        if (-not (Require-Cli zstd) -or -not (Require-Cli sqlite3)) { return }
        $out = Join-Path $dir 'out.db'
        & zstd -d -q $b.Path -o $out
        & sqlite3 $out 'PRAGMA integrity_check; SELECT count(*) FROM filler;' | Should -Be @('ok', '3000')
    }

    It 'changes nothing with -WhatIf' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $snap = New-SqliteBackup $db -BackupPath (Join-Path $dir 'repo') -Incremental -Verify Quick
        $snap | Copy-SqliteBackup (Join-Path $dir 'off') -WhatIf | Should -BeNullOrEmpty
        $snap | Copy-SqliteBackup (Join-Path $dir 'off2') -AsPlain -WhatIf | Should -BeNullOrEmpty
        Test-Path (Join-Path $dir 'off') | Should -BeFalse
        Test-Path (Join-Path $dir 'off2') | Should -BeFalse
    }
}

Describe 'Copy-SqliteBackup of snapshots to s3://' -Skip:(-not $haveServer) {
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

    It 'copies two snapshots to a bucket and exports one -AsPlain there; all verify, the snapshot restores' {
        $bucket = 't-' + [guid]::NewGuid().ToString('N').Substring(0, 20)
        $r = [Amazon.S3.Model.PutBucketRequest]::new(); $r.BucketName = $bucket; $r.BucketRegionName = 'us-east-1'
        $s3.PutBucketAsync($r).GetAwaiter().GetResult() | Out-Null
        $loc = "s3://$bucket/off"
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $null, $second = New-TwoSnapshots $db (Join-Path $dir 'repo')

        (Get-SqliteBackup (Join-Path $dir 'repo') | Copy-SqliteBackup $loc).Status | Sort-Object -Unique | Should -Be 'Copied'
        $second | Copy-SqliteBackup $loc -AsPlain | Out-Null

        $there = Get-SqliteBackup $loc
        $there.Count | Should -Be 3
        @($there | Where-Object Format -eq 'Snapshot').Count | Should -Be 2
        $there | Test-SqliteBackup -Level Quick | ForEach-Object { $_.Passed | Should -BeTrue }
        $restored = Join-Path $dir 'restored.db'
        $there | Where-Object { $_.Format -eq 'Snapshot' -and $_.Id -eq $second.Id } | Restore-SqliteBackup -Destination $restored -Confirm:$false | Out-Null
        (Get-FileHash $restored -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $second.Manifest.RawSha256
    }
}

Describe 'Invoke-SqliteBackupJob with "incremental": true and destinations' {
    It 'backs up once into the local repository, copies the snapshot into the repository off-site and exports it where a destination says plain' {
        $dir = New-TestFolder
        $db = New-FillerDatabase (Join-Path $dir 'app.db')
        $config = Join-Path $dir 'backup.json'
        Set-Content $config '{ "backup": { "backup_directory": "./repo", "databases": ["./app.db"], "incremental": true, "weekly_restore_test": false, "keep_local_until_copied": true, "destinations": ["./off", { "path": "./export", "plain": true }] } }'

        $r1 = Invoke-SqliteBackupJob -ConfigPath $config
        Invoke-Sql $db 'UPDATE filler SET pad = randomblob(1000) WHERE id IN (11, 2222); PRAGMA wal_checkpoint(TRUNCATE);' | Out-Null
        $r2 = Invoke-SqliteBackupJob -ConfigPath $config

        $r1.Succeeded, $r2.Succeeded | Should -Be @($true, $true)
        $r2.Backup.Format | Should -Be 'Snapshot'
        $r2.Destinations.Succeeded | Should -Be @($true, $true)
        $off = Get-SqliteBackup (Join-Path $dir 'off')
        $off.Id | Should -Be @($r1.Backup.Id, $r2.Backup.Id)
        $off.Format | Sort-Object -Unique | Should -Be 'Snapshot'
        (Get-Packs (Join-Path $dir 'off')).Name | Sort-Object | Should -Be ((Get-Packs (Join-Path $dir 'repo')).Name | Sort-Object)
        ($off | Test-SqliteBackup -Level Standard).Passed | Should -Be @($true, $true)
        $export = Get-SqliteBackup (Join-Path $dir 'export')
        $export.Format | Sort-Object -Unique | Should -Be 'Plain'
        $export[-1].Manifest.RawSha256 | Should -Be $r2.Backup.Manifest.RawSha256
        $log = Get-SqliteBackupLog (Join-Path $dir 'repo')
        @($log | Where-Object Event -eq 'BackupCopied').Count | Should -Be 4
        @($log | Where-Object Level -eq 'Error').Count | Should -Be 0
    }
}
