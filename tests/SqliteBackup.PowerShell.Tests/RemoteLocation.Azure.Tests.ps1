BeforeDiscovery {
    $script:script = if ($env:SQLITEBACKUP_AZURITE) { $env:SQLITEBACKUP_AZURITE } else { Join-Path $PSScriptRoot '../servers/azurite.sh' }
    $cache = Join-Path ($env:XDG_CACHE_HOME ?? (Join-Path $HOME '.cache')) 'sqlitebackup-test-servers/node_modules/.bin/azurite-blob'
    $script:haveServer = (Test-Path $script) -and (($env:AZURITE_BLOB -and (Test-Path $env:AZURITE_BLOB)) -or (Test-Path $cache) -or (Get-Command azurite-blob -ErrorAction Ignore))
    if (-not $haveServer -and $env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'azurite is required for the Azure remote-location tests (SQLITEBACKUP_REQUIRE_CLI=1)' }
}

# The whole remote workflow through the cmdlets against a real Azure Blob service (Azurite on 127.0.0.1): back up,
# list, verify, restore, rotate and copy on azure://, with the credentials in AZURE_STORAGE_CONNECTION_STRING only.
Describe 'A remote location (azure://) through the cmdlets' -Skip:(-not $haveServer) {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $script:serverDir = Join-Path ([IO.Path]::GetTempPath()) ("sbt-azurite-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        $script:azurite = if ($env:SQLITEBACKUP_AZURITE) { $env:SQLITEBACKUP_AZURITE } else { Join-Path $PSScriptRoot '../servers/azurite.sh' }
        $script:started = $true
        $out = bash $azurite start $serverDir $port 2>&1
        if ($LASTEXITCODE -ne 0) { throw "azurite did not start: $out" }
        # Azurite's well-known development account and key.
        $script:key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
        $script:connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
        $script:saved = @{}
        foreach ($n in 'AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_ACCOUNT', 'AZURE_STORAGE_KEY', 'AZURE_STORAGE_SAS_TOKEN') {
            $saved[$n] = [Environment]::GetEnvironmentVariable($n)
            [Environment]::SetEnvironmentVariable($n, $null)
        }
        $env:AZURE_STORAGE_CONNECTION_STRING = $connection
        function Get-StoredNames([string] $Location) {
            $store = [SqliteBackup.Core.Storage.StoreRegistry]::Open($Location)
            try { @($store.List([Threading.CancellationToken]::None).Name) } finally { $store.Dispose() }
        }
    }

    AfterAll {
        foreach ($n in $saved.Keys) { [Environment]::SetEnvironmentVariable($n, $saved[$n]) }
        if ($script:started) { bash $script:azurite stop $script:serverDir | Out-Null }
        Remove-Item -Recurse -Force $serverDir -ErrorAction Ignore
    }

    BeforeEach {
        $script:dir = New-TestFolder
        $script:db = (New-SqliteSampleDatabase (Join-Path $dir 'app.db')).FullName
        # A container no one created: the first backup creates it.
        $script:loc = "azure://devstoreaccount1/t-$([guid]::NewGuid().ToString('N').Substring(0, 20))/backups/app"
    }

    It 'New-SqliteBackup writes straight to a new container; Get-SqliteBackup lists it; Test-SqliteBackup Quick and Standard pass' {
        $b = New-SqliteBackup $db -BackupPath $loc
        $b.IsRemote | Should -BeTrue
        $b.Path | Should -BeLike "$loc/app_*"
        $listed = Get-SqliteBackup $loc
        $listed.Id | Should -Be $b.Id
        ($listed | Test-SqliteBackup -VerificationLevel Quick).Passed | Should -BeTrue
        $t = Get-SqliteBackup $loc | Test-SqliteBackup -VerificationLevel Standard
        $t.Passed | Should -BeTrue
        $t.Path | Should -Be $b.Path
        (Get-SqliteBackup $loc).LastVerificationRecord.Level | Should -Be 'Standard'
        @(Get-ChildItem -Force ([IO.Path]::GetTempPath()) -Filter ".sqlitebackup-$PID-*").Count | Should -Be 0
    }

    It 'Restore-SqliteBackup from the container gives a database the real sqlite3 reads with the same rows' {
        $b = New-SqliteBackup $db -BackupPath $loc
        $restored = Join-Path $dir 'restored.db'
        Get-SqliteBackup $loc | Restore-SqliteBackup -Destination $restored
        & sqlite3 $restored 'PRAGMA integrity_check;' | Should -Be 'ok'
        $rows = 'SELECT count(*), sum(salary) FROM employees;'
        & sqlite3 $restored $rows | Should -Be (& sqlite3 $db $rows)
        $b.Id | Should -Not -BeNullOrEmpty
    }

    It 'Copy-SqliteBackup sends local backups once, and Invoke-BackupRotation removes blobs manifest first' {
        1..3 | ForEach-Object { New-SqliteBackup $db -Type Automatic -VerificationLevel Quick } | Out-Null
        $copied = Get-SqliteBackup (Join-Path $dir 'backups') | Copy-SqliteBackup -BackupPath $loc
        $copied.Status | Should -Be @('Copied', 'Copied', 'Copied')
        (Get-SqliteBackup (Join-Path $dir 'backups') | Copy-SqliteBackup -BackupPath $loc).Status | Should -Be @('AlreadyPresent', 'AlreadyPresent', 'AlreadyPresent')
        (Get-SqliteBackup $loc -Latest 1).Manifest.CopiedFrom | Should -BeLike (Join-Path $dir 'backups/app_*')

        $decisions = Invoke-BackupRotation $loc -KeepLast 1 -Confirm:$false
        @($decisions | Where-Object Removed).Count | Should -Be 2
        $left = @(Get-SqliteBackup $loc)
        $left.Count | Should -Be 1
        (Get-StoredNames $loc).Count | Should -Be 2   # one backup: its data blob and its manifest
        $left | Remove-SqliteBackup -Confirm:$false
        Get-StoredNames $loc | Should -BeNullOrEmpty
    }

    It 'the location a backup shows reopens it when the prefix holds %, #, spaces or other scripts; .. and #fragment are refused' {
        $container = ([uri]$loc).AbsolutePath.Split('/')[1]
        foreach ($written in "azure://devstoreaccount1/$container/pct%2541", "azure://devstoreaccount1/$container/100%25 sure/ü", "azure://devstoreaccount1/$container/tag%23weekly") {
            $b = New-SqliteBackup $db -BackupPath $written -VerificationLevel Quick
            $listed = @(Get-SqliteBackup $b.Directory)
            $listed.Count | Should -Be 1
            $listed[0].Id | Should -Be $b.Id
            $listed[0].Directory | Should -Be $b.Directory
        }
        (Get-SqliteBackup "azure://devstoreaccount1/$container/pct%2541").Directory | Should -Be "azure://devstoreaccount1/$container/pct%2541"
        @(Get-StoredNames "azure://devstoreaccount1/$container/pct%2541").Count | Should -Be 2
        New-SqliteBackup $db -BackupPath "azure://devstoreaccount1/$container/pct%2541" -Type Automatic -VerificationLevel Quick | Out-Null
        foreach ($bad in "azure://devstoreaccount1/$container/x/../pct%2541", "azure://devstoreaccount1/$container/pct%2541#x") {
            Invoke-BackupRotation $bad -KeepLast 1 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreLocationInvalid*'
        }
        @(Get-StoredNames "azure://devstoreaccount1/$container/pct%2541").Count | Should -Be 4
    }

    It 'a wrong account key is StoreAccessDenied, named by location and never showing the key' {
        $wrong = [Convert]::ToBase64String([Security.Cryptography.SHA512]::HashData([Text.Encoding]::UTF8.GetBytes('wrong-key-4711')))
        New-SqliteBackup $db -BackupPath $loc | Out-Null
        $env:AZURE_STORAGE_CONNECTION_STRING = $connection.Replace($key, $wrong)
        try {
            Get-SqliteBackup $loc -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreAccessDenied*'
            "$($err[0])" | Should -Match ([regex]::Escape($loc))
            "$($err[0]) $($err[0].Exception) $($err[0].ErrorDetails)" | Should -Not -Match ([regex]::Escape($wrong))
            "$($err[0]) $($err[0].Exception)" | Should -Not -Match ([regex]::Escape($key))
        }
        finally { $env:AZURE_STORAGE_CONNECTION_STRING = $connection }
    }
}
