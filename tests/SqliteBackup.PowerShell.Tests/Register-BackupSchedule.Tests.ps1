BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # CI runs as root on a real machine: whatever crontab was there must be there afterwards, byte for byte.
    function Get-CrontabState {
        $text = & crontab -l 2>$null
        [pscustomobject]@{ Exists = ($LASTEXITCODE -eq 0); Text = ($text -join "`n") }
    }
    function Set-CrontabText([string] $Text) {
        $Text | & crontab -
        if ($LASTEXITCODE) { throw 'crontab - failed' }
    }
    $script:haveCron = [bool](Get-Command crontab -ErrorAction SilentlyContinue) -and [bool](& pgrep -x cron 2>$null)
    $script:requireCli = $env:SQLITEBACKUP_REQUIRE_CLI -eq '1'
    if ($haveCron) { $script:original = Get-CrontabState }
    # In an It: false (and the test skipped) without cron, unless CI requires it.
    function Test-CronPresent {
        if ($haveCron) { return $true }
        if ($requireCli) { throw 'cron is required here (SQLITEBACKUP_REQUIRE_CLI=1) but crontab or the cron daemon is missing' }
        Set-ItResult -Skipped -Because 'cron is not installed or not running'
        return $false
    }
}

AfterAll {
    if ($haveCron) {
        if ($original.Exists) { Set-CrontabText ($original.Text + "`n") } else { & crontab -r 2>$null }
    }
}

Describe 'Register-BackupSchedule with the real cron daemon' {
    It 'runs the job from cron within 150 s, then unregisters leaving every foreign line intact' {
        if (-not (Test-CronPresent)) { return }
        $foreign = "# a foreign comment`nMAILTO=`"`"`n17 3 * * * /bin/true % not ours # sqlitebackup:fake in a foreign command`n"
        Set-CrontabText $foreign
        $before = (Get-CrontabState).Text

        $dir = New-TestFolder
        # A path with a space and shell metacharacters: cron must hand it over as one argument, never run it.
        $token = 'pwned-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $app = Join-Path $dir "my app; `$(touch $token) ``touch $token`` 50%"
        New-Item -ItemType Directory $app | Out-Null
        New-SqliteSampleDatabase (Join-Path $app 'app.db') | Out-Null
        $config = Join-Path $app 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $app 'app.db') | Out-Null

        $s = Register-BackupSchedule -ConfigPath $config -Cron '* * * * *' -Scheduler Cron -Name 'e2e-test'
        try {
            $s.Name | Should -Be 'e2e-test'
            $s.NextRun | Should -BeLessThan (Get-Date).AddMinutes(2)
            (Get-BackupSchedule -Scheduler Cron -Name 'e2e-*').Name | Should -Be 'e2e-test'
            (Get-CrontabState).Text | Should -BeLike "$before*"

            $deadline = (Get-Date).AddSeconds(150)
            $found = $null
            # The backup appears before the job has rotated, restore-tested and logged its end: wait for the end.
            while (-not $found -and (Get-Date) -lt $deadline) {
                Start-Sleep -Seconds 3
                $found = Get-SqliteBackupLog (Join-Path $app 'backups') -Event JobCompleted -ErrorAction SilentlyContinue
            }
            $found | Should -Not -BeNullOrEmpty -Because 'cron should have run the job within 150 s'
            Get-SqliteBackup (Join-Path $app 'backups') -Type Automatic | Where-Object Verified | Should -Not -BeNullOrEmpty
            # cron runs commands in the user's home directory: an injected touch would land there (or here).
            Test-Path (Join-Path $HOME $token) | Should -BeFalse
            Test-Path (Join-Path $dir $token) | Should -BeFalse
        }
        finally {
            Unregister-BackupSchedule -Name 'e2e-test' -Scheduler Cron -Confirm:$false
        }
        (Get-CrontabState).Text | Should -Be $before
        Get-BackupSchedule -Scheduler Cron | Where-Object Name -eq 'e2e-test' | Should -BeNullOrEmpty
    }
}

Describe 'Unregister-BackupSchedule with the real crontab' {
    It 'leaves no crontab where there was none before Register' {
        if (-not (Test-CronPresent)) { return }
        & crontab -r 2>$null
        (Get-CrontabState).Exists | Should -BeFalse
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') | Out-Null
        Register-BackupSchedule -ConfigPath $config -Cron '0 0 1 1 *' -Scheduler Cron -Name 'as-found' | Out-Null
        (Get-CrontabState).Exists | Should -BeTrue
        Unregister-BackupSchedule -Name 'as-found' -Scheduler Cron -Confirm:$false
        (Get-CrontabState).Exists | Should -BeFalse
    }
}

Describe 'Schedule -Name tab completion with the real crontab' {
    It 'offers the names Get-BackupSchedule lists, in the scheduler given' {
        # Only the crontab command is needed (no daemon): the schedules are read back from it.
        if (-not (Get-Command crontab -ErrorAction SilentlyContinue)) {
            if ($requireCli) { throw 'crontab is required here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'crontab is not installed'; return
        }
        $before = Get-CrontabState
        try {
            $dir = New-TestFolder
            New-SqliteSampleDatabase (Join-Path $dir 'app.db') -Employees 5 | Out-Null
            $config = Join-Path $dir 'backup.json'
            New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') | Out-Null
            foreach ($name in 'complete-nightly', 'complete-hourly') { Register-BackupSchedule -ConfigPath $config -Cron '0 0 1 1 *' -Scheduler Cron -Name $name | Out-Null }
            function Complete([string] $line) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches }
            $listed = (Get-BackupSchedule -Scheduler Cron).Name
            (Complete 'Get-BackupSchedule -Scheduler Cron -Name ').CompletionText | Should -Be ($listed | Sort-Object)
            (Complete 'Unregister-BackupSchedule -Scheduler Cron -Name complete-').CompletionText | Should -Be @('complete-hourly', 'complete-nightly')
            (Complete 'Register-BackupSchedule -Scheduler Cron -Name complete-n').CompletionText | Should -Be 'complete-nightly'
            (Complete 'Get-BackupSchedule -Scheduler Cron -Name complete-n').ToolTip | Should -Match '0 0 1 1 \*'
        }
        finally {
            foreach ($name in 'complete-nightly', 'complete-hourly') { Unregister-BackupSchedule -Name $name -Scheduler Cron -Confirm:$false -ErrorAction SilentlyContinue }
            if ($before.Exists) { Set-CrontabText ($before.Text + "`n") } else { & crontab -r 2>$null }
        }
    }
}

Describe 'A job with a remote destination schedules no secret' {
    It 'puts the configuration''s path on the command line, never the credential, and refuses a configuration that holds one' {
        if (-not (Get-Command crontab -ErrorAction SilentlyContinue)) {
            if ($requireCli) { throw 'crontab is required here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'crontab is not installed'; return
        }
        $secret = 'S3cr3t-for-the-schedule-test-9876'
        $before = Get-CrontabState
        try {
            $dir = New-TestFolder
            New-SqliteSampleDatabase (Join-Path $dir 'app.db') -Employees 5 | Out-Null
            $config = Join-Path $dir 'backup.json'
            New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') | Out-Null
            $json = Get-Content -Raw $config | ConvertFrom-Json -AsHashtable
            $json.backup.destinations = @(@{ path = 's3://offsite-bucket/app?endpoint=http://127.0.0.1:9'; user_env = 'OFFSITE_KEY_ID'; secret_env = 'OFFSITE_SECRET'; retention_days = 90 })
            $json | ConvertTo-Json -Depth 6 | Set-Content $config
            # The secret is in this environment while registering: nothing may copy it into the schedule.
            $env:OFFSITE_KEY_ID = 'TESTKEY'; $env:OFFSITE_SECRET = $secret
            $s = Register-BackupSchedule -ConfigPath $config -Cron '0 0 1 1 *' -Scheduler Cron -Name cred-schedule-test
            $s.Name | Should -Be 'cred-schedule-test'
            $tab = (& crontab -l) -join "`n"
            $tab | Should -Match ([regex]::Escape($config))
            $tab | Should -Not -Match $secret
            $tab | Should -Not -Match 'TESTKEY'
            "$((Get-BackupSchedule -Scheduler Cron -Name cred-schedule-test).Command)" | Should -Not -Match $secret
            Get-Content -Raw $config | Should -Not -Match $secret

            # A configuration that carries a secret is refused before anything is registered, without repeating it.
            $json.backup.destinations = @(@{ path = 's3://offsite-bucket/app'; secret_access_key = $secret })
            $json | ConvertTo-Json -Depth 6 | Set-Content $config
            $err = { Register-BackupSchedule -ConfigPath $config -Scheduler Cron -Name cred-schedule-test2 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupConfig,SqliteBackup.PowerShell.RegisterBackupScheduleCommand' -PassThru
            "$err" | Should -Match 'destinations\[0\]\.secret_access_key'
            "$err" | Should -Not -Match $secret
            (& crontab -l) -join "`n" | Should -Not -Match 'cred-schedule-test2'
        }
        finally {
            Remove-Item Env:OFFSITE_KEY_ID, Env:OFFSITE_SECRET -ErrorAction Ignore
            Unregister-BackupSchedule -Name cred-schedule-test -Scheduler Cron -Confirm:$false -ErrorAction SilentlyContinue
            if ($before.Exists) { Set-CrontabText ($before.Text + "`n") } else { & crontab -r 2>$null }
        }
    }
}

Describe 'Register-BackupSchedule -Path with a remote -BackupPath' {
    It 'takes s3:// as written: the scheduled job backs up locally and copies there, and a location with a password is refused' {
        if (-not (Get-Command crontab -ErrorAction SilentlyContinue)) {
            if ($requireCli) { throw 'crontab is required here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'crontab is not installed'; return
        }
        $before = Get-CrontabState
        try {
            $dir = New-TestFolder
            $db = Join-Path $dir 'app.db'
            New-SqliteSampleDatabase $db -Employees 5 | Out-Null
            $s = Register-BackupSchedule -Path $db -BackupPath 's3://sched-bucket/prefix' -Cron '0 0 1 1 *' -Scheduler Cron -Name remote-schedule-test -ErrorAction Stop
            $s.Name | Should -Be 'remote-schedule-test'
            $config = Join-Path $dir 'backups' 'sqlitebackup.json'
            $tab = (& crontab -l) -join "`n"
            $tab | Should -Match ([regex]::Escape($config))
            # What that command runs: the location exactly as written, as an off-site destination of the job.
            $job = Get-Content -Raw $config | ConvertFrom-Json
            @($job.backup.destinations) | Should -Be @('s3://sched-bucket/prefix')
            Test-Path (Join-Path $dir 's3:') | Should -BeFalse

            $secret = 'Pw-for-the-schedule-test-4321'
            $err = { Register-BackupSchedule -Path $db -BackupPath "s3://user:$secret@sched-bucket/prefix" -Cron '0 0 1 1 *' -Scheduler Cron -Name remote-schedule-test2 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupConfig,SqliteBackup.PowerShell.RegisterBackupScheduleCommand' -PassThru
            "$err" | Should -Not -Match $secret
            (& crontab -l) -join "`n" | Should -Not -Match 'remote-schedule-test2'
            Get-Content -Raw $config | Should -Not -Match $secret
        }
        finally {
            Unregister-BackupSchedule -Name remote-schedule-test -Scheduler Cron -Confirm:$false -ErrorAction SilentlyContinue
            if ($before.Exists) { Set-CrontabText ($before.Text + "`n") } else { & crontab -r 2>$null }
        }
    }
}

Describe 'Register-BackupSchedule parameters' {
    It 'rejects an invalid cron expression and a bad name without touching the scheduler' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $config = Join-Path $dir 'b.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') | Out-Null
        { Register-BackupSchedule -ConfigPath $config -Cron '61 * * * *' -Scheduler Cron -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSchedule,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
        { Register-BackupSchedule -ConfigPath $config -Name 'bad name; rm' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
        { Register-BackupSchedule -ConfigPath $config -Daily -Hourly -Scheduler Cron -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSchedule,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
    }

    It 'creates a configuration from -Path and -Destination with -WhatIf doing nothing' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        Register-BackupSchedule -Path (Join-Path $dir 'app.db') -Destination (Join-Path $dir 'bk') -Scheduler Cron -WhatIf
        Test-Path (Join-Path $dir 'bk') | Should -BeFalse
    }

    It 'validates every input before writing a configuration, and -WhatIf shows what would be written and registered' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $bk = Join-Path $dir 'bk'
        { Register-BackupSchedule -Path (Join-Path $dir 'app.db') -Destination $bk -Cron '61 * * * *' -Scheduler Cron -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSchedule,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
        Test-Path $bk | Should -BeFalse
        { Register-BackupSchedule -Path (Join-Path $dir 'missing.db') -Destination $bk -Daily -Scheduler Cron -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupConfig,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
        Test-Path $bk | Should -BeFalse

        # What-if messages go to the host, so run a real pwsh and read its console output.
        $pwsh = [Environment]::ProcessPath
        [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { @((Join-Path $PSHOME 'pwsh.dll')) } else { @() }
        $script = "Import-Module '$ModulePath'; Register-BackupSchedule -Path '$(Join-Path $dir 'app.db')' -Destination '$bk' -Cron '15 3 * * *' -Scheduler Cron -Name whatif-test -WhatIf"
        $out = (& $pwsh @prefix -NoProfile -NonInteractive -Command $script 2>&1) -join "`n"
        $out | Should -Match ([regex]::Escape((Join-Path $bk 'sqlitebackup.json')))
        $out | Should -Match 'Write a backup configuration'
        $out | Should -Match 'whatif-test \(Cron\)'
        $out | Should -Match '15 3 \* \* \*'
        Test-Path $bk | Should -BeFalse
    }

    It 'reports an unknown schedule name on Unregister' {
        if (-not $haveCron) { Set-ItResult -Skipped -Because 'cron is not installed'; return }
        { Unregister-BackupSchedule -Name 'no-such-schedule' -Scheduler Cron -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ScheduleNotFound,SqliteBackup.PowerShell.UnregisterBackupScheduleCommand'
    }
}

Describe 'Register-BackupSchedule -Service (a backup each time an application''s service stops)' {
    BeforeEach {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') | Out-Null
        # What-if messages go to the host, so a real pwsh is run and its console output read.
        $pwsh = [Environment]::ProcessPath
        [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { @((Join-Path $PSHOME 'pwsh.dll')) } else { @() }
    }

    It 'says where it cannot: launchd and cron have no trigger for a service''s stop, and nothing is written' {
        foreach ($scheduler in 'Launchd', 'Cron') {
            $e = $null
            try { Register-BackupSchedule -ConfigPath $config -Service app.service -Scheduler $scheduler -ErrorAction Stop } catch { $e = $_ }
            $e.FullyQualifiedErrorId | Should -Be 'ServiceStopNotSupported,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
            $e.ErrorDetails.RecommendedAction | Should -Match 'Start-SqliteBackupJob\.ps1 .*-Type Shutdown'
        }
        Test-Path (Join-Path $HOME 'Library') | Should -BeFalse
    }

    It 'refuses a -StopTimeoutSec too short for pwsh to start, back up and report, saying why' {
        { Register-BackupSchedule -ConfigPath $config -Service app -StopTimeoutSec 2 -Scheduler Systemd -WhatIf -ErrorAction Stop } |
            Should -Throw -ErrorId 'StopTimeoutTooShort,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
        try { Register-BackupSchedule -ConfigPath $config -Service app -StopTimeoutSec 14 -Scheduler Systemd -WhatIf -ErrorAction Stop } catch { $e = $_ }
        $e.ErrorDetails.RecommendedAction | Should -Match '15 or more'
    }

    It 'refuses a name that is no systemd service before writing anything' {
        { Register-BackupSchedule -ConfigPath $config -Service '../../etc/x' -Scheduler Systemd -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidSchedule,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
        try { Register-BackupSchedule -ConfigPath $config -Service '../../etc/x' -Scheduler Systemd -ErrorAction Stop } catch { $e = $_ }
        $e.ErrorDetails.RecommendedAction | Should -Match '-Service'
        $e.ErrorDetails.RecommendedAction | Should -Not -Match '-Cron'
    }

    It '-WhatIf shows the drop-in it would write for the unit, with the bound, and the Shutdown job; the configuration''s services likewise' {
        $script = "Import-Module '$ModulePath'; Register-BackupSchedule -ConfigPath '$config' -Service app -StopTimeoutSec 30 -Scheduler Systemd -WhatIf"
        $out = (& $pwsh @prefix -NoProfile -NonInteractive -Command $script 2>&1) -join "`n"
        $out | Should -Match 'each time app\.service stops, holding it up at most 30 s" on target "backup-[0-9a-f]{8}-app \(Systemd\)'

        $json = Get-Content -Raw $config | ConvertFrom-Json -AsHashtable
        $json.backup.services = @('worker@2', @{ name = 'api.service'; stop_timeout_sec = 20 })
        $json | ConvertTo-Json -Depth 5 | Set-Content $config
        $script = "Import-Module '$ModulePath'; Register-BackupSchedule -ConfigPath '$config' -Name nightly -Scheduler Systemd -WhatIf"
        $out = (& $pwsh @prefix -NoProfile -NonInteractive -Command $script 2>&1) -join "`n"
        $out | Should -Match 'nightly \(Systemd\)'
        $out | Should -Match 'each time worker@2\.service stops, holding it up at most 60 s" on target "nightly-worker-2-[0-9a-f]{6} \(Systemd\)'
        $out | Should -Match 'each time api\.service stops, holding it up at most 20 s" on target "nightly-api \(Systemd\)'
        Test-Path (Join-Path $HOME '.config/systemd/user/worker@2.service.d') | Should -BeFalse
    }

    It 'gives two services whose names differ only in characters a registration name cannot hold two registrations, never one' {
        $json = Get-Content -Raw $config | ConvertFrom-Json -AsHashtable
        $json.backup.services = @('worker@1.service', 'worker-1.service')
        $json | ConvertTo-Json -Depth 5 | Set-Content $config
        $script = "Import-Module '$ModulePath'; Register-BackupSchedule -ConfigPath '$config' -Name cfg2 -Scheduler Systemd -WhatIf"
        $out = (& $pwsh @prefix -NoProfile -NonInteractive -Command $script 2>&1) -join "`n"
        $names = [regex]::Matches($out, 'each time worker.1\.service stops[^"]*" on target "([^ ]+) \(Systemd\)') | ForEach-Object { $_.Groups[1].Value }
        @($names).Count | Should -Be 2 -Because $out
        $names[0] | Should -Not -Be $names[1]
        $names | Should -Contain 'cfg2-worker-1'

        # The same unit twice (with and without .service) would be one registration replacing itself: refused.
        { Register-BackupSchedule -ConfigPath $config -Service app, app.service -Scheduler Systemd -WhatIf -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidSchedule,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
    }
}

