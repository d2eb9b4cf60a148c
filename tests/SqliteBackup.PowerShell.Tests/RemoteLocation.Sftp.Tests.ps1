BeforeDiscovery {
    $script:script = if ($env:SQLITEBACKUP_SSHD) { $env:SQLITEBACKUP_SSHD } else { Join-Path $PSScriptRoot '../servers/sshd.sh' }
    $script:haveServer = (Test-Path $script) -and (Test-Path /usr/sbin/sshd) -and (Get-Command ssh-keygen -ErrorAction Ignore)
    if (-not $haveServer -and $env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'sshd is required for the SFTP location tests (SQLITEBACKUP_REQUIRE_CLI=1)' }
}

# The remote workflow through the cmdlets against a real OpenSSH sshd (internal-sftp on 127.0.0.1): back up, list,
# verify, restore, rotate and copy on sftp://, with the key and known_hosts named by the SQLITEBACKUP_SFTP_* variables.
Describe 'A remote location (sftp://) through the cmdlets' -Skip:(-not $haveServer) {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        $script:serverDir = Join-Path ([IO.Path]::GetTempPath()) ("sbt-sshd-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $script:port = $l.LocalEndpoint.Port; $l.Stop()
        $script:sshd = if ($env:SQLITEBACKUP_SSHD) { $env:SQLITEBACKUP_SSHD } else { Join-Path $PSScriptRoot '../servers/sshd.sh' }
        $script:started = $true
        $out = bash $sshd start $serverDir $port 2>&1
        if ($LASTEXITCODE -ne 0) { throw "sshd did not start: $out" }
        $script:saved = @{}
        foreach ($n in 'SQLITEBACKUP_SFTP_IDENTITY', 'SQLITEBACKUP_SFTP_KNOWN_HOSTS', 'SQLITEBACKUP_SFTP_PASSPHRASE') { $saved[$n] = [Environment]::GetEnvironmentVariable($n) }
        $env:SQLITEBACKUP_SFTP_IDENTITY = Join-Path $serverDir 'client_ed25519'
        $env:SQLITEBACKUP_SFTP_KNOWN_HOSTS = Join-Path $serverDir 'known_hosts'
        $env:SQLITEBACKUP_SFTP_PASSPHRASE = $null
        $script:user = (id -un)
    }

    AfterAll {
        foreach ($n in $saved.Keys) { [Environment]::SetEnvironmentVariable($n, $saved[$n]) }
        if ($script:started) { bash $script:sshd stop $script:serverDir | Out-Null }
        Remove-Item -Recurse -Force $serverDir -ErrorAction Ignore
    }

    BeforeEach {
        $script:dir = New-TestFolder
        $script:db = (New-SqliteSampleDatabase (Join-Path $dir 'app.db')).FullName
        $script:remoteDir = Join-Path $serverDir ("data/" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $script:loc = "sftp://$user@127.0.0.1:$port$remoteDir"
    }

    It 'backs up straight to the server; lists, verifies (Quick, Standard), restores a file sqlite3 reads, rotates and copies' {
        $b = New-SqliteBackup $db -BackupPath $loc
        $b.IsRemote | Should -BeTrue
        $b.Path | Should -BeLike "$loc/app_*"
        if (-not $IsWindows) {
            (Get-Item $remoteDir).UnixMode | Should -Be 'drwx------'
            (Get-Item (Join-Path $remoteDir $b.Manifest.File)).UnixMode | Should -Be '-rw-------'
        }
        $listed = Get-SqliteBackup $loc
        $listed.Id | Should -Be $b.Id
        ($listed | Test-SqliteBackup -Level Quick).Passed | Should -BeTrue
        ($listed | Test-SqliteBackup -Level Standard).Passed | Should -BeTrue
        (Get-SqliteBackup $loc).Manifest.Verifications.Level | Should -Contain 'Standard'

        $restored = Join-Path $dir 'restored.db'
        Get-SqliteBackup $loc | Restore-SqliteBackup -Destination $restored
        & sqlite3 $restored 'PRAGMA integrity_check; SELECT count(*) FROM employees;' | Should -Be @('ok', (Invoke-Sql $db 'SELECT count(*) FROM employees'))

        1..2 | ForEach-Object { New-SqliteBackup $db -BackupPath $loc -Type Automatic -VerificationLevel Quick } | Out-Null
        @(Get-SqliteBackup $loc).Count | Should -Be 3
        $decisions = Invoke-BackupRotation $loc -KeepLast 1 -Confirm:$false
        @($decisions | Where-Object Removed).Count | Should -Be 1  # the Manual one is never rotated away
        @(Get-SqliteBackup $loc).Count | Should -Be 2
        @(Get-ChildItem -Force $remoteDir).Count | Should -Be 4  # two backups, each a data object and a manifest; no temporaries

        # Copies from the server to a local folder and from a local folder to the server.
        $back = Join-Path $dir 'back'
        (Get-SqliteBackup $loc | Copy-SqliteBackup -BackupPath $back).Status | Should -Be @('Copied', 'Copied')
        $other = "sftp://$user@127.0.0.1:$port$remoteDir-copy"
        $local = New-SqliteBackup $db
        ($local | Copy-SqliteBackup -BackupPath $other).Status | Should -Be 'Copied'
        ($local | Copy-SqliteBackup -BackupPath $other).Status | Should -Be 'AlreadyPresent'
        (Get-SqliteBackup $other).Manifest.CopiedFrom | Should -Be $local.Path
        (Get-SqliteBackup $other | Test-SqliteBackup -Level Quick).Passed | Should -BeTrue
    }

    It 'a manifest deleted on the server leaves an orphan that is warned about, listed and removable; a data file deleted is copied again' {
        $b = New-SqliteBackup $db -BackupPath $loc
        $data = Join-Path $remoteDir $b.Manifest.File
        Remove-Item "$data.manifest.json"
        # Written within the hour it may be a backup still being written: not yet an orphan.
        Get-SqliteBackup $loc -WarningVariable w | Should -BeNullOrEmpty
        $w | Should -BeNullOrEmpty
        (Get-Item $data).LastWriteTimeUtc = [DateTime]::UtcNow.AddHours(-2)
        Get-SqliteBackup $loc -WarningVariable w | Should -BeNullOrEmpty
        "$w" | Should -BeLike "*holds 1 backup object(s) without a manifest*$($b.Manifest.File)*"
        $o = Get-SqliteBackup $loc -IncludeOrphans
        $o.IsOrphan | Should -BeTrue
        $o | Remove-SqliteBackup -Confirm:$false
        Test-Path $data | Should -BeFalse

        $local = New-SqliteBackup $db
        ($local | Copy-SqliteBackup -BackupPath $loc).Status | Should -Be 'Copied'
        Remove-Item (Join-Path $remoteDir $local.Manifest.File)
        ($local | Copy-SqliteBackup -BackupPath $loc -WarningAction SilentlyContinue).Status | Should -Be 'Copied'
        (Get-SqliteBackup $loc).Id | Should -Be $local.Id
    }

    It 'an unknown host key stops every command with StoreHostKeyUnknown, and says how to add it' {
        $env:SQLITEBACKUP_SFTP_KNOWN_HOSTS = Join-Path $dir 'empty_known_hosts'
        try {
            New-SqliteBackup $db -BackupPath $loc -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StoreHostKeyUnknown*'
            "$($err[0].ErrorDetails.RecommendedAction) $($err[0])" | Should -Match ([regex]::Escape("ssh-keyscan -p $port 127.0.0.1"))
            Test-Path $remoteDir | Should -BeFalse
        }
        finally { $env:SQLITEBACKUP_SFTP_KNOWN_HOSTS = Join-Path $serverDir 'known_hosts' }
    }
}
