BeforeDiscovery {
    $script:script = if ($env:SQLITEBACKUP_RADOSGW) { $env:SQLITEBACKUP_RADOSGW } else { Join-Path $PSScriptRoot '../servers/radosgw.sh' }
    $script:haveServer = (Test-Path $script) -and (Get-Command radosgw -ErrorAction Ignore) -and (Get-Command ceph-mon -ErrorAction Ignore)
    if (-not $haveServer -and $env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'radosgw is required for the remote-location tests (SQLITEBACKUP_REQUIRE_CLI=1)' }
}

# The whole remote workflow through the cmdlets against a real S3 server (Ceph radosgw on 127.0.0.1): back up, copy,
# list, verify, restore, rotate and remove on s3://, with the credentials in the AWS environment variables only.
Describe 'A remote location (s3://) through the cmdlets' -Skip:(-not $haveServer) {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $script:serverDir = Join-Path ([IO.Path]::GetTempPath()) ("sbt-rgw-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        function Get-FreePort { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p }
        $port = Get-FreePort; $monPort = Get-FreePort
        $script:radosgw = if ($env:SQLITEBACKUP_RADOSGW) { $env:SQLITEBACKUP_RADOSGW } else { Join-Path $PSScriptRoot '../servers/radosgw.sh' }
        $script:started = $true
        $out = bash $radosgw start $serverDir $port $monPort 2>&1
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
        function New-Bucket([switch] $ObjectLock) {
            $b = 't-' + [guid]::NewGuid().ToString('N').Substring(0, 20)
            $r = [Amazon.S3.Model.PutBucketRequest]::new(); $r.BucketName = $b; $r.BucketRegionName = 'us-east-1'
            if ($ObjectLock) { $r.ObjectLockEnabledForBucket = $true }
            $s3.PutBucketAsync($r).GetAwaiter().GetResult() | Out-Null
            $b
        }
        # SDK 4 answers null, not an empty list, when there are none.
        function Get-Uploads([string] $Bucket) {
            @($s3.ListMultipartUploadsAsync([Amazon.S3.Model.ListMultipartUploadsRequest]@{ BucketName = $Bucket }).GetAwaiter().GetResult().MultipartUploads | Where-Object { $_ })
        }
        # A database of random pages: its backup does not compress, so it is that large on the wire.
        function New-RandomDatabase([string] $Path, [int] $MiB) {
            Invoke-Sql $Path "CREATE TABLE b(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $($MiB * 4)) INSERT INTO b SELECT randomblob(262144) FROM n;" | Out-Null
            $Path
        }
    }

    AfterAll {
        if ($s3) { $s3.Dispose() }
        foreach ($n in $saved.Keys) { [Environment]::SetEnvironmentVariable($n, $saved[$n]) }
        # Always, even when the start failed half-way: the script stops whatever it finds pid files for.
        if ($script:started) { bash $script:radosgw stop $script:serverDir | Out-Null }
        Remove-Item -Recurse -Force $serverDir -ErrorAction Ignore
    }

    BeforeEach {
        $script:dir = New-TestFolder
        $script:db = (New-SqliteSampleDatabase (Join-Path $dir 'app.db')).FullName
        $script:loc = "s3://$(New-Bucket)/backups/app"
    }

    It 'New-SqliteBackup writes straight to the location; Get-SqliteBackup lists it; Test-SqliteBackup Full passes and records it there' {
        $b = New-SqliteBackup $db -BackupPath $loc
        $b.IsRemote | Should -BeTrue
        $b.Path | Should -BeLike "$loc/app_*"
        $listed = Get-SqliteBackup $loc
        $listed.Id | Should -Be $b.Id
        $t = $listed | Test-SqliteBackup -VerificationLevel Full
        $t.Passed | Should -BeTrue
        $t.Path | Should -Be $b.Path
        (Get-SqliteBackup $loc).LastVerificationRecord.Level | Should -Be 'Full'
        # Nothing staged was left behind on this machine.
        @(Get-ChildItem -Force ([IO.Path]::GetTempPath()) -Filter ".sqlitebackup-$PID-*").Count | Should -Be 0
    }

    It 'Copy-SqliteBackup sends local backups once; a copy is restorable and restores the same rows' {
        New-SqliteBackup $db | Out-Null
        Invoke-Sql $db "UPDATE employees SET salary = salary + 1" | Out-Null
        New-SqliteBackup $db | Out-Null
        $copied = Get-SqliteBackup (Join-Path $dir 'backups') | Copy-SqliteBackup -BackupPath $loc
        $copied.Status | Should -Be @('Copied', 'Copied')
        (Get-SqliteBackup (Join-Path $dir 'backups') | Copy-SqliteBackup -BackupPath $loc).Status | Should -Be @('AlreadyPresent', 'AlreadyPresent')
        $remote = Get-SqliteBackup $loc -Latest 1
        $remote.Manifest.CopiedFrom | Should -BeLike (Join-Path $dir 'backups/app_*')
        $remote | Restore-SqliteBackup -Destination (Join-Path $dir 'restored.db')
        Invoke-Sql (Join-Path $dir 'restored.db') 'SELECT sum(salary) FROM employees' | Should -Be (Invoke-Sql $db 'SELECT sum(salary) FROM employees')
    }

    It 'restoring over a database keeps its PreRestore backup on this machine, beside the target' {
        $b = New-SqliteBackup $db -BackupPath $loc
        $before = Invoke-Sql $db 'SELECT sum(salary) FROM employees'
        Invoke-Sql $db "UPDATE employees SET salary = 0" | Out-Null
        $r = $b | Restore-SqliteBackup -Destination $db -Force
        Invoke-Sql $db 'SELECT sum(salary) FROM employees' | Should -Be $before
        $r.PreRestoreBackup.Path | Should -BeLike (Join-Path $dir 'backups/app_*_prerestore_*')
        Test-Path $r.PreRestoreBackup.Path | Should -BeTrue
    }

    It 'Invoke-BackupRotation and Remove-SqliteBackup act on the location, manifest first' {
        1..3 | ForEach-Object { New-SqliteBackup $db -BackupPath $loc -Type Automatic -VerificationLevel Quick } | Out-Null
        $decisions = Invoke-BackupRotation $loc -KeepLast 1 -Confirm:$false
        @($decisions | Where-Object Removed).Count | Should -Be 2
        $left = @(Get-SqliteBackup $loc)
        $left.Count | Should -Be 1
        $left | Remove-SqliteBackup -Confirm:$false
        @(Get-SqliteBackup $loc).Count | Should -Be 0
        $bucket = ([uri]$loc).Host
        $objects = $s3.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $bucket }).GetAwaiter().GetResult().S3Objects
        @($objects).Key | Should -BeNullOrEmpty
    }

    It 'a location System.Uri would read as another place (#fragment, .. and %2E%2E) is refused by every command, and nothing is touched' {
        1..3 | ForEach-Object { New-SqliteBackup $db -BackupPath $loc -Type Automatic -VerificationLevel Quick } | Out-Null
        $bucket = ([uri]$loc).Host
        foreach ($bad in "$loc#staging", "s3://$bucket/backups/other/../app", "s3://$bucket/backups/other/%2E%2E/app", "s3://$bucket/backups/./app") {
            Invoke-BackupRotation $bad -KeepLast 1 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreLocationInvalid*'
            "$($err[0])" | Should -Match ([regex]::Escape(($bad -split '#')[0]))
            Get-SqliteBackup $bad -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreLocationInvalid*'
            New-SqliteBackup $db -BackupPath $bad -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreLocationInvalid*'
        }
        @(Get-SqliteBackup $loc).Count | Should -Be 3
        $objects = $s3.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $bucket }).GetAwaiter().GetResult().S3Objects
        @($objects | Where-Object { $_.Key -notlike 'backups/app/*' }).Key | Should -BeNullOrEmpty
    }

    It 'the location a backup shows reopens it when the prefix holds %, #, spaces or other scripts' {
        $bucket = ([uri]$loc).Host
        foreach ($written in "s3://$bucket/pct%2541", "s3://$bucket/100%25 sure/ü", "s3://$bucket/tag%23weekly") {
            $b = New-SqliteBackup $db -BackupPath $written -VerificationLevel Quick
            $listed = @(Get-SqliteBackup $b.Directory)
            $listed.Count | Should -Be 1
            $listed[0].Id | Should -Be $b.Id
            $listed[0].Directory | Should -Be $b.Directory
            @(Get-SqliteBackup $written).Id | Should -Be $b.Id
        }
        (Get-SqliteBackup "s3://$bucket/pct%2541").Directory | Should -Be "s3://$bucket/pct%2541"
        $keys = @($s3.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $bucket }).GetAwaiter().GetResult().S3Objects.Key)
        @($keys | Where-Object { $_ -like 'pct%41/*' }).Count | Should -Be 2
        @($keys | Where-Object { $_ -like '100% sure/ü/*' }).Count | Should -Be 2
    }

    It 'a wrong secret is StoreAccessDenied, named by location and never showing the secret' {
        $env:AWS_SECRET_ACCESS_KEY = 'wrong-secret-4711'
        try {
            Get-SqliteBackup $loc -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreAccessDenied*'
            "$($err[0])" | Should -Not -Match 'wrong-secret-4711'
            "$($err[0])" | Should -Match ([regex]::Escape(($loc -split '\?')[0]))
        }
        finally { $env:AWS_SECRET_ACCESS_KEY = 'TESTSECRET' }
    }

    It 'Test-SqliteBackup -VerificationLevel Quick checks the object where it lies, with no local copy, and fails a tampered one' {
        $b = New-SqliteBackup $db -BackupPath $loc -VerificationLevel Quick
        # A scratch path that cannot be used: a fetch into it would fail, so passing proves nothing was fetched.
        $notAFolder = Join-Path $dir 'not-a-folder'
        Set-Content $notAFolder 'a file'
        $t = Get-SqliteBackup $loc | Test-SqliteBackup -VerificationLevel Quick -ScratchPath $notAFolder
        $t.Passed | Should -BeTrue
        $t.Checks.Name | Should -Be @('FilePresent', 'Size', 'Sha256')
        (Get-SqliteBackup $loc).LastVerificationRecord.Level | Should -Be 'Quick'

        # The same size, one byte changed, by a plain client behind our back.
        $bucket = ([uri]$loc).Host
        $key = 'backups/app/' + $b.Manifest.File
        $get = $s3.GetObjectAsync($bucket, $key).GetAwaiter().GetResult()
        $ms = [IO.MemoryStream]::new(); $get.ResponseStream.CopyTo($ms); $get.Dispose()
        $bytes = $ms.ToArray()
        $bytes[100] = $bytes[100] -bxor 0xff
        $s3.PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = $key; InputStream = [IO.MemoryStream]::new($bytes) }).GetAwaiter().GetResult() | Out-Null
        $t = Get-SqliteBackup $loc | Test-SqliteBackup -VerificationLevel Quick -ScratchPath $notAFolder
        $t.Outcome | Should -Be 'Failed'
        $t.Message | Should -BeLike 'Sha256: SHA-256 is *, manifest says *'
    }

    It 'New-SqliteBackup and Copy-SqliteBackup to s3:// show bytes, rate and time left as they upload' {
        $big = New-RandomDatabase (Join-Path $dir 'big.db') 20
        $r = Invoke-InRunspace "New-SqliteBackup '$big' -BackupPath '$loc' -VerificationLevel Quick | Out-Null; New-SqliteBackup '$big' -VerificationLevel None | Copy-SqliteBackup -BackupPath '$loc-copy' | Out-Null"
        $r.Errors | Should -BeNullOrEmpty
        $uploads = @($r.Progress | Where-Object StatusDescription -Match '^[0-9.]+ [KMG]?B of [0-9.]+ MB, [0-9.]+ [KMG]?B/s to s3://')
        @($uploads | Where-Object StatusDescription -Like "* to $loc").Count | Should -BeGreaterThan 1
        @($uploads | Where-Object StatusDescription -Like "* to $loc-copy").Count | Should -BeGreaterThan 1
        @($uploads | Where-Object SecondsRemaining -GE 0).Count | Should -BeGreaterThan 0
    }

    It 'an upload killed with kill -9 leaves no backup, and the next run to the location aborts what it left' {
        $big = New-RandomDatabase (Join-Path $dir 'big.db') 96
        $local = New-SqliteBackup $big -VerificationLevel None
        $bucket = ([uri]$loc).Host
        $child = Start-Process pwsh -PassThru -RedirectStandardOutput (Join-Path $dir 'out.txt') -RedirectStandardError (Join-Path $dir 'err.txt') -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$script:ModulePath'; Copy-SqliteBackup -LiteralPath '$($local.Path)' -BackupPath '$loc'")
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ((Get-Uploads $bucket).Count -eq 0 -and -not $child.HasExited -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $child.HasExited | Should -BeFalse -Because 'the copy must still be uploading when it is killed'
            kill -9 $child.Id
            $child.WaitForExit()
        }
        finally { if (-not $child.HasExited) { $child.Kill() } }

        @(Get-SqliteBackup $loc).Count | Should -Be 0
        @(Get-Uploads $bucket).Count | Should -Be 1
        Start-Sleep -Seconds 2
        New-SqliteBackup $db -BackupPath "$loc`?abort-uploads-after=1s" -VerificationLevel Quick | Out-Null
        @(Get-Uploads $bucket).Count | Should -Be 0
        @(Get-SqliteBackup $loc).Count | Should -Be 1
    }

    It 'a copy whose data object was deleted behind our back is copied again (Copied, not AlreadyPresent) and lists again' {
        $local = New-SqliteBackup $db
        ($local | Copy-SqliteBackup -BackupPath $loc).Status | Should -Be 'Copied'
        $bucket = ([uri]$loc).Host
        $s3.DeleteObjectAsync($bucket, 'backups/app/' + $local.Manifest.File).GetAwaiter().GetResult() | Out-Null
        @(Get-SqliteBackup $loc -WarningAction SilentlyContinue).Count | Should -Be 0
        ($local | Copy-SqliteBackup -BackupPath $loc).Status | Should -Be 'Copied'
        $again = Get-SqliteBackup $loc
        $again.Id | Should -Be $local.Id
        ($again | Test-SqliteBackup -VerificationLevel Standard).Passed | Should -BeTrue
        ($local | Copy-SqliteBackup -BackupPath $loc).Status | Should -Be 'AlreadyPresent'
    }

    It 'a data object without its manifest (an orphan) is warned about with count and name, listed by -IncludeOrphans, refused by Test with what to do, and removed only by Remove-SqliteBackup' {
        $b = New-SqliteBackup $db -BackupPath $loc
        $bucket = ([uri]$loc).Host
        # What a kill -9 between the data upload and the manifest leaves, put by a plain client.
        $orphan = 'app_20200101-000000_manual_deadbeef.db.zst'
        $s3.PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = "backups/app/$orphan"; ContentBody = 'bytes someone may need' }).GetAwaiter().GetResult() | Out-Null
        $grace = [SqliteBackup.Core.Catalog.StoreCatalog].GetProperty('OrphanGrace', [Reflection.BindingFlags]'NonPublic,Static')
        $saved = $grace.GetValue($null)
        # Within the grace period it may be a backup still being written: not reported.
        Get-SqliteBackup $loc -WarningVariable w | Out-Null
        $w | Should -BeNullOrEmpty
        $grace.SetValue($null, [TimeSpan]::Zero)
        try {
            $listed = Get-SqliteBackup $loc -WarningVariable w
            $listed.Id | Should -Be $b.Id
            "$w" | Should -BeLike "*holds 1 backup object(s) without a manifest*$orphan*-IncludeOrphans*"

            $all = Get-SqliteBackup $loc -IncludeOrphans -WarningVariable w
            $w | Should -BeNullOrEmpty
            $o = $all | Where-Object IsOrphan
            $o.Path | Should -Be "$loc/$orphan"
            $o.IsRemote | Should -BeTrue
            $o.Database | Should -Be 'app'
            $o.Size | Should -Be 22

            $t = $o | Test-SqliteBackup -ErrorVariable err -ErrorAction SilentlyContinue
            $t | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RemoteOrphanNotRegistered*'
            "$($err[0]) $($err[0].ErrorDetails.RecommendedAction)" | Should -BeLike '*local*Remove-SqliteBackup*'
            $o | Restore-SqliteBackup -Destination (Join-Path $dir 'r.db') -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RemoteOrphanNotRegistered*'

            $o | Remove-SqliteBackup -WhatIf
            @(Get-SqliteBackup $loc -IncludeOrphans | Where-Object IsOrphan).Count | Should -Be 1
            $o | Remove-SqliteBackup -Confirm:$false
            Get-SqliteBackup $loc -IncludeOrphans -WarningVariable w | ForEach-Object Id | Should -Be $b.Id
            $w | Should -BeNullOrEmpty

            # A manifest deleted behind our back makes an orphan too.
            $s3.DeleteObjectAsync($bucket, "backups/app/$($b.Manifest.File).manifest.json").GetAwaiter().GetResult() | Out-Null
            Get-SqliteBackup $loc -WarningVariable w | Should -BeNullOrEmpty
            "$w" | Should -BeLike "*holds 1 backup object(s)*$($b.Manifest.File)*"
        }
        finally { $grace.SetValue($null, $saved) }
    }

    It 'in a bucket with Object Lock, a backup is locked for what rotation keeps by default; rotation is refused with StoreObjectLocked and it stays listed' {
        $bucket = New-Bucket -ObjectLock
        $lockLoc = "s3://$bucket/app"
        1..2 | ForEach-Object { New-SqliteBackup $db -BackupPath $lockLoc -Type Automatic -VerificationLevel Quick } | Out-Null
        $first = (Get-SqliteBackup $lockLoc)[0]
        $head = $s3.GetObjectMetadataAsync($bucket, "app/$($first.Manifest.File)").GetAwaiter().GetResult()
        $head.ObjectLockMode.Value | Should -Be 'GOVERNANCE'
        # No rule given to New-SqliteBackup: what rotation keeps without one (12 monthly), so 12 months.
        $head.ObjectLockRetainUntilDate.ToUniversalTime().Date | Should -Be $first.Manifest.CreatedUtc.AddMonths(12).Date

        $decisions = Invoke-BackupRotation $lockLoc -KeepLast 1 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreObjectLocked*'
        "$($err[0])" | Should -Match "under Object Lock until $($head.ObjectLockRetainUntilDate.ToUniversalTime().ToString('yyyy-MM-dd'))"
        @($decisions | Where-Object Removed).Count | Should -Be 0
        @(Get-SqliteBackup $lockLoc).Count | Should -Be 2
    }

    Context '-Credential instead of the AWS environment' {
        BeforeEach {
            # No AWS variable at all, no profile, no instance: only -Credential can reach the server.
            $script:awsSaved = @{}
            foreach ($n in 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED') {
                $awsSaved[$n] = [Environment]::GetEnvironmentVariable($n); [Environment]::SetEnvironmentVariable($n, $null)
            }
            $env:AWS_EC2_METADATA_DISABLED = 'true'; $env:AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials'
            # The endpoint rides in the location; backups listed from it carry it (and the credential) to the next command.
            $script:locE = "$loc`?endpoint=$([uri]::EscapeDataString($endpoint))"
            $script:cred = [pscredential]::new('TESTKEY', (ConvertTo-SecureString 'TESTSECRET' -AsPlainText -Force))
        }
        AfterEach { foreach ($n in $awsSaved.Keys) { [Environment]::SetEnvironmentVariable($n, $awsSaved[$n]) } }

        It 'reaches the store for every command, and piped backups carry it in memory only' {
            1..3 | ForEach-Object { New-SqliteBackup $db -BackupPath $locE -Credential $cred -Type Automatic -VerificationLevel Quick } | Out-Null
            Get-SqliteBackup $locE -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreAccessDenied*'

            $listed = @(Get-SqliteBackup $locE -Credential $cred)
            $listed.Count | Should -Be 3
            (Measure-SqliteBackup $locE -Credential $cred).Count | Should -Be 3
            # Piped on without -Credential: the listing's credential and endpoint, kept in memory.
            ($listed[-1] | Test-SqliteBackup -VerificationLevel Standard).Passed | Should -BeTrue
            $listed[-1] | Restore-SqliteBackup -Destination (Join-Path $dir 'restored.db')
            Invoke-Sql (Join-Path $dir 'restored.db') 'SELECT count(*) FROM employees' | Should -Be (Invoke-Sql $db 'SELECT count(*) FROM employees')
            # -Credential given with piped backups replaces theirs.
            $bad = [pscredential]::new('TESTKEY', (ConvertTo-SecureString 'not-the-secret-0815' -AsPlainText -Force))
            $listed[-1] | Test-SqliteBackup -Credential $bad -ErrorVariable err2 -ErrorAction SilentlyContinue | Out-Null
            $err2[0].FullyQualifiedErrorId | Should -BeLike 'StoreAccessDenied*'
            # Never serialised, never shown.
            ($listed | ConvertTo-Json -Depth 6 -WarningAction SilentlyContinue) | Should -Not -Match 'TESTSECRET'
            $xml = Join-Path $dir 'b.clixml'; $listed | Export-Clixml $xml -Depth 6
            Get-Content -Raw $xml | Should -Not -Match 'TESTSECRET'
            ($listed[0].PSObject.Properties.Name -join ',') | Should -Not -Match 'Access|Credential|Secret'

            # Copy: -Credential is the destination's; the piped remote backups bring the source's.
            $loc2 = "s3://$(New-Bucket)/copies?endpoint=$([uri]::EscapeDataString($endpoint))"
            ($listed | Copy-SqliteBackup $loc2 -Credential $cred).Status | Should -Be @('Copied', 'Copied', 'Copied')
            (Get-SqliteBackup $loc2 -Credential $cred | Copy-SqliteBackup (Join-Path $dir 'back')).Status | Should -Be @('Copied', 'Copied', 'Copied')

            @(Invoke-BackupRotation $locE -Credential $cred -KeepLast 1 -Confirm:$false | Where-Object Removed).Count | Should -Be 2
            Get-SqliteBackup $locE -Credential $cred | Remove-SqliteBackup -Confirm:$false
            @(Get-SqliteBackup $locE -Credential $cred).Count | Should -Be 0
        }

        It 'a job destination''s aws_profile reads that profile from the shared credentials file (a fresh process, as the scheduler starts)' {
            $creds = Join-Path $dir 'aws-credentials'
            Set-Content $creds "[offsite]`naws_access_key_id = TESTKEY`naws_secret_access_key = TESTSECRET`n"
            $config = Join-Path $dir 'backup.json'
            @{ backup = @{ databases = @($db); weekly_restore_test = $false; destinations = @(@{ path = $locE; aws_profile = 'offsite' }) } } | ConvertTo-Json -Depth 5 | Set-Content $config
            Get-Content -Raw $config | Should -Not -Match 'TESTSECRET'
            $pwsh = @([Environment]::ProcessPath)
            if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
            # The SDK settles where the shared files are once per process: the child gets the file from its start.
            $env:AWS_SHARED_CREDENTIALS_FILE = $creds
            $out = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; `$r = Invoke-SqliteBackupJob -ConfigPath '$config'; `$r.Destinations | ForEach-Object { `"`$(`$_.Location) `$(`$_.Succeeded) `$(`$_.ErrorId)`" }" 2>&1
            $env:AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials'
            "$out" | Should -Match ([regex]::Escape("$loc True"))
            @(Get-SqliteBackup $locE -Credential $cred).Count | Should -Be 1
        }

        It 'a wrong secret is StoreAccessDenied; the secret is not in the error, the log, the alert or the alert program''s arguments' {
            $wrong = 'Wr0ng-secret-never-shown-31337'
            $bad = [pscredential]::new('TESTKEY', (ConvertTo-SecureString $wrong -AsPlainText -Force))
            $hook = Join-Path $dir 'hook.sh'; $out = Join-Path $dir 'hook.out'
            Set-Content $hook "#!/bin/sh`n{ printf 'ARGV=%s\n' `"`$0`" `"`$@`"; tr '\0' ' ' < /proc/`$PPID/cmdline; echo; env | grep '^SQLITEBACKUP_'; } > '$out'`n"
            chmod 700 $hook
            New-SqliteBackup $db -BackupPath $locE -Credential $bad -Notify $hook -ErrorVariable err -ErrorAction SilentlyContinue -Verbose 4>&1 | Out-String | Should -Not -Match $wrong
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreAccessDenied*'
            "$($err[0]) $($err[0].ErrorDetails) $($err[0].Exception.InnerException)" | Should -Not -Match $wrong
            $alert = Get-Content -Raw $out
            $alert | Should -Match 'StoreAccessDenied'
            $alert | Should -Match ([regex]::Escape("ARGV=$hook"))
            $alert | Should -Not -Match $wrong
            # Nothing local was written for a remote backup that failed (no log beside it either).
            @(Get-ChildItem -Recurse -File $dir | Where-Object { (Get-Content -Raw $_.FullName -ErrorAction Ignore) -match $wrong }).Count | Should -Be 0
        }
    }
}
