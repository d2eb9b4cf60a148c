BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # The scheduler's entry script in a child pwsh, as cron runs it (inheriting this environment).
    function Invoke-JobScript([string] $Config) {
        $script = Join-Path (Get-Module SqliteBackup).ModuleBase 'Start-SqliteBackupJob.ps1'
        $pwsh = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
        $out = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $script -ConfigPath $Config 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
    }
    # Every text the job leaves behind: configuration, manifests, log.
    function Get-AllText([string] $Dir) {
        (Get-ChildItem $Dir -Recurse -File -Force | Where-Object Name -Match '\.(json|jsonl|html)$' | ForEach-Object { Get-Content -Raw $_.FullName }) -join "`n"
    }
}

Describe 'New-SqliteBackupConfig -Recipient -IdentityFile / -PassphraseVariable' {
    It 'writes the encryption section by name only, relative to the file, and Get-SqliteBackupConfig reads it back' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $key = New-SqliteBackupKey (Join-Path $dir 'job.key')
        $recovery = (New-SqliteBackupKey (Join-Path $dir 'recovery.key')).Recipient
        $config = Join-Path $dir 'backup.json'
        $c = New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') -Recipient $key.Recipient, $recovery -IdentityFile $key.Path -WarningVariable w
        $w | Should -BeNullOrEmpty
        $json = Get-Content -Raw $config | ConvertFrom-Json
        $json.backup.encryption.recipients | Should -Be @($key.Recipient, $recovery)
        $json.backup.encryption.identity_file | Should -Be './job.key'
        Get-Content -Raw $config | Should -Not -Match 'AGE-SECRET-KEY'
        $c.Encryption.IdentityFile | Should -Be $key.Path
        (Get-SqliteBackupConfig $config).Encryption.Recipients | Should -Be @($key.Recipient, $recovery)
    }

    It 'refuses a secret key given as a recipient, without writing or repeating it' {
        $dir = New-TestFolder
        $key = New-SqliteBackupKey (Join-Path $dir 'job.key')
        $secret = (Get-Content $key.Path)[2]
        $config = Join-Path $dir 'backup.json'
        $e = { New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') -Recipient $secret -IdentityFile $key.Path -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidBackupConfig,SqliteBackup.PowerShell.NewSqliteBackupConfigCommand' -PassThru
        "$e" | Should -Match 'encryption\.recipients\[0\]'
        "$e" | Should -Not -Match ([regex]::Escape($secret.Substring(15, 30)))
        Test-Path $config | Should -BeFalse
    }

    It 'refuses a passphrase or key pasted into the file, without repeating it' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $config = Join-Path $dir 'backup.json'
        Set-Content $config (@{ backup = @{ databases = @('./app.db'); encryption = @{ passphrase = 'tulip-engine-42' } } } | ConvertTo-Json -Depth 5)
        $e = { Get-SqliteBackupConfig $config -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupConfig,*' -PassThru
        "$e" | Should -Match "'backup\.encryption\.passphrase' would put a key or passphrase"
        "$e" | Should -Not -Match 'tulip-engine-42'
    }

    It 'warns of a missing identity file, one others may read, and an unset passphrase variable' -Skip:$IsWindows {
        $dir = New-TestFolder
        $key = New-SqliteBackupKey (Join-Path $dir 'job.key')
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') -Recipient $key.Recipient -IdentityFile (Join-Path $dir 'nope.key') -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        "$w" | Should -Match 'EncryptionIdentityMissing.*nope\.key'
        & chmod 644 $key.Path
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') -Recipient $key.Recipient -IdentityFile $key.Path -Force -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        "$w" | Should -Match 'EncryptionIdentityFileExposed'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') -PassphraseVariable SQLITEBACKUP_TEST_NEVER_SET -Force -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        "$w" | Should -Match 'EncryptionPassphraseMissing.*SQLITEBACKUP_TEST_NEVER_SET'
        (Get-Content -Raw $config | ConvertFrom-Json).backup.encryption.passphrase_env | Should -Be 'SQLITEBACKUP_TEST_NEVER_SET'
    }
}

Describe 'An encrypted job run as the scheduler runs it' {
    It 'encrypts, verifies, restore-tests; the backup opens with the identity only; no key in log, manifests or report' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $key = New-SqliteBackupKey (Join-Path $dir 'job.key')
        $secret = (Get-Content $key.Path)[2]
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') -Recipient $key.Recipient -IdentityFile $key.Path -BackupPath (Join-Path $dir 'backups') | Out-Null
        $run = Invoke-JobScript $config
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $b = Get-SqliteBackup (Join-Path $dir 'backups')
        $b.Path | Should -BeLike '*.db.zst.age'
        $b.Verified | Should -BeTrue
        (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event RestoreTested).Count | Should -Be 1
        ($b | Test-SqliteBackup -VerificationLevel Standard -IdentityFile $key.Path).Outcome | Should -Be 'Passed'
        ($b | Test-SqliteBackup -VerificationLevel Standard -ErrorAction SilentlyContinue -WarningAction SilentlyContinue).Outcome | Should -Be 'Inconclusive'
        Export-SqliteBackupReport (Join-Path $dir 'report.html') -BackupPath (Join-Path $dir 'backups') | Out-Null
        $all = Get-AllText $dir
        $all | Should -Match ([regex]::Escape($key.Recipient))
        $all | Should -Not -Match 'AGE-SECRET-KEY'
        $run.Output | Should -Not -Match 'AGE-SECRET-KEY'
        $secret | Should -Match '^AGE-SECRET-KEY-1'
    }

    It 'an unset passphrase variable fails the run before any backup: exit 2 (the job could not start), JobFailed logged, the alert sent, no secret anywhere' {
        $hook = Start-Hook
        try {
            $dir = New-TestFolder
            New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
            $config = Join-Path $dir 'backup.json'
            Set-Content $config (@{ backup = @{ databases = @('./app.db'); notify = @($hook.Url); encryption = @{ passphrase_env = 'SQLITEBACKUP_TEST_JOB_PASS' } } } | ConvertTo-Json -Depth 5)
            Remove-Item Env:SQLITEBACKUP_TEST_JOB_PASS -ErrorAction Ignore
            $run = Invoke-JobScript $config
            $run.ExitCode | Should -Be 2 -Because $run.Output
            $run.Output | Should -Match 'SQLITEBACKUP_TEST_JOB_PASS'
            @(Get-ChildItem (Join-Path $dir 'backups') -Filter 'app_*' -ErrorAction Ignore).Count | Should -Be 0
            (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event JobFailed).Message | Should -Match 'SQLITEBACKUP_TEST_JOB_PASS'
            $deadline = (Get-Date).AddSeconds(10)
            while ($hook.Bodies.Count -lt 1 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $messages = @($hook.Bodies.ToArray() | ConvertFrom-Json)
            $messages.Count | Should -Be 1
            $messages[0].text | Should -Match 'EncryptionPassphraseMissing'

            # Set, the same configuration encrypts; the passphrase reaches neither log, manifest, alert nor output.
            $env:SQLITEBACKUP_TEST_JOB_PASS = 'violet-harbour-7731-quietly'
            $run = Invoke-JobScript $config
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $b = Get-SqliteBackup (Join-Path $dir 'backups')
            $b.Manifest.Encryption.Passphrase | Should -BeTrue
            $b.Verified | Should -BeTrue
            (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event RestoreTested).Count | Should -Be 1
            $all = (Get-AllText $dir) + $run.Output + ($hook.Bodies.ToArray() -join "`n")
            $all | Should -Not -Match 'violet-harbour'
        }
        finally {
            Remove-Item Env:SQLITEBACKUP_TEST_JOB_PASS -ErrorAction Ignore
            Stop-Hook $hook
        }
    }
}

Describe 'An encrypted job scheduled with cron' {
    BeforeAll {
        $script:requireCli = $env:SQLITEBACKUP_REQUIRE_CLI -eq '1'
        function Get-CrontabState {
            $text = & crontab -l 2>$null
            [pscustomobject]@{ Exists = ($LASTEXITCODE -eq 0); Text = ($text -join "`n") }
        }
    }

    It 'puts only the configuration''s path on the command line, never the key or passphrase in this environment' {
        if (-not (Get-Command crontab -ErrorAction SilentlyContinue)) {
            if ($requireCli) { throw 'crontab is required here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'crontab is not installed'; return
        }
        $before = Get-CrontabState
        try {
            $dir = New-TestFolder
            New-SqliteSampleDatabase (Join-Path $dir 'app.db') -Employees 5 | Out-Null
            $key = New-SqliteBackupKey (Join-Path $dir 'job.key')
            $secret = (Get-Content $key.Path)[2]
            $config = Join-Path $dir 'backup.json'
            New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') -Recipient $key.Recipient -IdentityVariable SQLITEBACKUP_TEST_ID | Out-Null
            $env:SQLITEBACKUP_TEST_ID = $secret
            $s = Register-BackupSchedule -ConfigPath $config -Cron '0 0 1 1 *' -Scheduler Cron -Name enc-schedule-test
            $tab = (& crontab -l) -join "`n"
            $tab | Should -Match ([regex]::Escape($config))
            $tab | Should -Not -Match 'AGE-SECRET-KEY'
            "$((Get-BackupSchedule -Scheduler Cron -Name enc-schedule-test).Command)" | Should -Not -Match 'AGE-SECRET-KEY'
            Get-Content -Raw $config | Should -Not -Match 'AGE-SECRET-KEY'
        }
        finally {
            Remove-Item Env:SQLITEBACKUP_TEST_ID -ErrorAction Ignore
            Unregister-BackupSchedule -Name enc-schedule-test -Scheduler Cron -Confirm:$false -ErrorAction SilentlyContinue
            if ($before.Exists) { ($before.Text + "`n") | & crontab - } else { & crontab -r 2>$null }
        }
    }
}
