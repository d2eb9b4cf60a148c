BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}

Describe 'Notifications from the cmdlets' {
    It 'New-SqliteBackup notifies a webhook on failure, and on success only with -NotifyOn Always' {
        $hook = Start-Hook
        try {
            $dir = New-TestFolder
            New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
            Set-Content (Join-Path $dir 'bad.db') 'not sqlite'
            New-SqliteBackup (Join-Path $dir 'app.db') -Notify $hook.Url | Out-Null
            $hook.Bodies.Count | Should -Be 0
            New-SqliteBackup (Join-Path $dir 'bad.db') -Notify $hook.Url -ErrorAction SilentlyContinue
            New-SqliteBackup (Join-Path $dir 'app.db') -Notify $hook.Url -NotifyOn Always | Out-Null
            $messages = @($hook.Bodies.ToArray() | ConvertFrom-Json)
            $messages.Count | Should -Be 2
            $messages[0].event | Should -Be 'BackupFailed'
            $messages[0].success | Should -BeFalse
            $messages[0].database | Should -Be 'bad'
            $messages[1].event | Should -Be 'BackupSucceeded'
            (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event NotificationSent).Path | Should -Not -Match 'T0K3N'
        }
        finally { Stop-Hook $hook }
    }

    It 'alerts whatever the error action: -ErrorAction Stop and $ErrorActionPreference = ''Stop'' still notify' {
        $hook = Start-Hook
        try {
            $dir = New-TestFolder
            Set-Content (Join-Path $dir 'bad.db') 'not sqlite'
            { New-SqliteBackup (Join-Path $dir 'bad.db') -Notify $hook.Url -ErrorAction Stop } | Should -Throw -ErrorId 'NotASqliteDatabase,*'
            New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
            $b = New-SqliteBackup (Join-Path $dir 'app.db')
            Add-Content $b.Path 'tampered'
            & {
                $ErrorActionPreference = 'Stop'
                { $b | Restore-SqliteBackup -Destination (Join-Path $dir 'restored.db') -Notify $hook.Url -Confirm:$false } | Should -Throw
            }
            $messages = @($hook.Bodies.ToArray() | ConvertFrom-Json)
            $messages.event | Should -Be @('BackupFailed', 'RestoreFailed')
            $messages.database | Should -Be @('bad', 'app')
        }
        finally { Stop-Hook $hook }
    }

    It 'alerts on path and lookup errors too, before the error, so -ErrorAction Stop still alerts' {
        $hook = Start-Hook
        try {
            $dir = New-TestFolder
            $bk = Join-Path $dir 'bk'
            { New-SqliteBackup (Join-Path $dir 'nomatch*.db') -BackupPath $bk -Notify $hook.Url -ErrorAction Stop } | Should -Throw -ErrorId 'PathWildcardNoMatch,*'
            { New-SqliteBackup '/nodir-sqlitebackup/*.db' -BackupPath $bk -Notify $hook.Url -ErrorAction Stop } | Should -Throw
            { Test-SqliteBackup -Path (Join-Path $dir 'missing.db.zst') -Notify $hook.Url -ErrorAction Stop } | Should -Throw -ErrorId 'BackupNotFound,*'
            Invoke-BackupRotation (Join-Path $dir 'nodir') -KeepLast 1 -Notify $hook.Url -ErrorAction SilentlyContinue
            Restore-SqliteBackup -Path (Join-Path $dir 'missing.db.zst') -Destination (Join-Path $dir 'r.db') -Notify $hook.Url -Confirm:$false -ErrorAction SilentlyContinue
            Remove-SqliteBackup -Path (Join-Path $dir 'missing.db.zst') -Notify $hook.Url -Confirm:$false -ErrorAction SilentlyContinue
            Copy-SqliteBackup -Path (Join-Path $dir 'missing.db.zst') -BackupPath $bk -Notify $hook.Url -ErrorAction SilentlyContinue
            $messages = @($hook.Bodies.ToArray() | ConvertFrom-Json)
            $messages.event | Should -Be @('BackupFailed', 'BackupFailed', 'VerificationInconclusive', 'RotationFailed', 'RestoreFailed', 'RemoveFailed', 'CopyFailed')
            $messages.success | Should -Not -Contain $true
            $messages[0].text | Should -Match 'PathWildcardNoMatch'
            $messages[2].text | Should -Match 'BackupNotFound'
        }
        finally { Stop-Hook $hook }
    }

    It 'sends webhooks a receiver reading Content-Length understands, with a User-Agent and a text field for chat services' {
        $hook = Start-Hook
        try {
            $dir = New-TestFolder
            Set-Content (Join-Path $dir 'bad.db') 'not sqlite'
            New-SqliteBackup (Join-Path $dir 'bad.db') -Notify $hook.Url -ErrorAction SilentlyContinue
            $h = @($hook.Headers.ToArray())
            $h.Count | Should -Be 1
            $h[0].Chunked | Should -BeNullOrEmpty
            $body = @($hook.Bodies.ToArray())[0]
            $h[0].ContentLength | Should -Be ([Text.Encoding]::UTF8.GetByteCount($body))
            $h[0].UserAgent | Should -Match '^SqliteBackup/\d+\.\d+\.\d+'
            $h[0].ContentType | Should -BeLike 'application/json*'
            $m = $body | ConvertFrom-Json
            $m.text | Should -BeLike '`[SqliteBackup`] FAILED: BackupFailed for bad: NotASqliteDatabase*'
            $m.text | Should -Match 'Error: '
        }
        finally { Stop-Hook $hook }
    }

    It 'a failing webhook is a warning and never fails the backup' {
        $hook = Start-Hook -Status 500
        try {
            $dir = New-TestFolder
            New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
            $b = New-SqliteBackup (Join-Path $dir 'app.db') -Notify $hook.Url -NotifyOn Always -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e
            $b.Verified | Should -BeTrue
            $e.Count | Should -Be 0
            ($w -join "`n") | Should -Match 'Notification to http://127.0.0.1:\d+/… about app failed'
            (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event NotificationFailed).Count | Should -Be 1
        }
        finally { Stop-Hook $hook }
    }

    It 'Test-SqliteBackup reports a failed verification to a command hook through its environment' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $b = New-SqliteBackup (Join-Path $dir 'app.db')
        Add-Content $b.Path 'tampered'
        $out = Join-Path $dir 'hook.out'
        $hookScript = Join-Path $dir 'on failure.sh'
        Set-Content $hookScript "#!/bin/sh`necho `"`$SQLITEBACKUP_EVENT `$SQLITEBACKUP_DATABASE `$SQLITEBACKUP_STATUS`" > '$out'`n"
        chmod +x $hookScript
        $b | Test-SqliteBackup -Notify $hookScript -WarningAction SilentlyContinue | Out-Null
        Get-Content $out | Should -Be 'VerificationFailed app failure'
    }

    It 'rejects a malformed target before doing anything' {
        { New-SqliteBackup ./x.db -Notify 'relative/hook.sh' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidNotificationTarget,SqliteBackup.PowerShell.NewSqliteBackupCommand'
    }

    It 'a failing notification without a database names what it was about' {
        $hook = Start-Hook -Status 500
        try {
            Test-SqliteBackupNotification -Notify $hook.Url -WarningVariable w -WarningAction SilentlyContinue | Out-Null
            ($w -join "`n") | Should -Not -Match '\(null\)|about\s+failed'
            ($w -join "`n") | Should -Match 'about the test notification failed'
        }
        finally { Stop-Hook $hook }
    }

    It 'Test-SqliteBackupNotification reports each target' {
        $hook = Start-Hook
        try {
            $r = Test-SqliteBackupNotification -Notify $hook.Url, 'mailto:ops@example.com' -WarningAction SilentlyContinue
            ($r | Where-Object Kind -eq 'Webhook').Sent | Should -BeTrue
            ($r | Where-Object Kind -eq 'Email').Sent | Should -BeFalse  # no -SmtpServer
            ($hook.Bodies.ToArray() | ConvertFrom-Json).event | Should -Be 'NotificationTest'
        }
        finally { Stop-Hook $hook }
    }
}

Describe 'SMTP login over an unencrypted connection' {
    It 'is refused by default with SmtpPlainTextAuthRefused, and sent with -SmtpAllowPlainTextAuth' {
        if (-not $env:SQLITEBACKUP_MAILDEV -or -not (Test-Path $env:SQLITEBACKUP_MAILDEV)) {
            if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'maildev is required (SQLITEBACKUP_REQUIRE_CLI=1) but SQLITEBACKUP_MAILDEV does not name it' }
            Set-ItResult -Skipped -Because 'maildev is not installed (set SQLITEBACKUP_MAILDEV)'
            return
        }
        $smtpPort = Get-Random -Minimum 20000 -Maximum 40000
        $webPort = $smtpPort + 20000
        # maildev with a login offers AUTH but no STARTTLS: the case where a password would go out in clear.
        $server = Start-Process $env:SQLITEBACKUP_MAILDEV -PassThru -ArgumentList '--ip', '127.0.0.1', '--smtp', $smtpPort, '--web-ip', '127.0.0.1', '--web', $webPort, '--silent', '--incoming-user', 'backup-user', '--incoming-pass', 's3cret-Pa55' -RedirectStandardOutput (Join-Path $TestDrive 'maildev.out')
        try {
            $deadline = (Get-Date).AddSeconds(30)
            while ($true) {
                try { Invoke-RestMethod "http://127.0.0.1:$webPort/api/email" | Out-Null; break }
                catch { if ((Get-Date) -gt $deadline -or $server.HasExited) { throw "maildev did not start: $_" }; Start-Sleep -Milliseconds 200 }
            }
            $cred = [pscredential]::new('backup-user', (ConvertTo-SecureString 's3cret-Pa55' -AsPlainText -Force))
            $common = @{ Notify = 'mailto:ops@example.com'; SmtpServer = '127.0.0.1'; SmtpPort = $smtpPort; SmtpCredential = $cred }

            $refused = Test-SqliteBackupNotification @common -WarningVariable w -WarningAction SilentlyContinue
            $refused.Sent | Should -BeFalse
            "$w" | Should -Match 'SmtpPlainTextAuthRefused'
            "$w" | Should -Match 'SmtpAllowPlainTextAuth'
            "$w" | Should -Not -Match 's3cret'
            $mails = { ((Invoke-WebRequest "http://127.0.0.1:$webPort/api/email").Content | ConvertFrom-Json -NoEnumerate).Count }
            & $mails | Should -Be 0

            (Test-SqliteBackupNotification @common -SmtpAllowPlainTextAuth).Sent | Should -BeTrue
            & $mails | Should -Be 1
        }
        finally { Stop-Process -Id $server.Id -ErrorAction SilentlyContinue }
    }
}
