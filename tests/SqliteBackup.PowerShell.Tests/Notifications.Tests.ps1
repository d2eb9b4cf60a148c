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
