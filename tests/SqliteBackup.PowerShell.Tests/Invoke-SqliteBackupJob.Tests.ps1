BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # The scheduler's entry script in a child pwsh, as cron runs it; returns its exit code and output.
    function Invoke-JobScript([string] $Config, [string[]] $Extra = @()) {
        $script = Join-Path (Get-Module SqliteBackup).ModuleBase 'Start-SqliteBackupJob.ps1'
        $pwsh = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
        $out = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $script -ConfigPath $Config @Extra 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
    }
    # chattr +i makes a file undeletable even for root, on file systems that support it (ext4, not tmpfs).
    function Test-Chattr([string] $Dir) {
        if (-not $IsLinux -or (& id -u) -ne '0' -or -not (Get-Command chattr -ErrorAction SilentlyContinue)) { return $false }
        $probe = Join-Path $Dir '.chattr-probe'
        Set-Content $probe 'x'
        & chattr +i $probe 2>$null
        $ok = $LASTEXITCODE -eq 0
        & chattr -i $probe 2>$null
        Remove-Item $probe -Force   # a dot file is hidden: Remove-Item needs -Force for it
        return $ok
    }
}

Describe 'New-SqliteBackupConfig and Get-SqliteBackupConfig' {
    It 'writes a configuration with defaults; paths inside its folder are relative to the file, others absolute' {
        $dir = New-TestFolder
        New-Item -ItemType Directory (Join-Path $dir 'conf') | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'conf' 'app.db') | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'other.db') | Out-Null
        Push-Location $dir
        try { $c = New-SqliteBackupConfig conf/backup.json -Database conf/app.db, other.db }
        finally { Pop-Location }
        $json = Get-Content -Raw (Join-Path $dir 'conf/backup.json') | ConvertFrom-Json
        $json.backup.databases | Should -Be @('./app.db', (Join-Path $dir 'other.db'))
        $json.backup.backup_directory | Should -Be './backups'
        $json.backup.backup_time | Should -Be '02:00'
        $c.Databases | Should -Be @((Join-Path $dir 'conf' 'app.db'), (Join-Path $dir 'other.db'))
        $c.BackupDirectory | Should -Be (Join-Path $dir 'conf' 'backups')
        (Get-SqliteBackupConfig (Join-Path $dir 'conf/backup.json')).RetentionPolicy.KeepDaily | Should -Be 30
    }

    It 'writes the services whose stop takes a backup, and reads them back' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $c = New-SqliteBackupConfig (Join-Path $dir 'b.json') -Database (Join-Path $dir 'app.db') -Service app.service, 'worker@1' -BackupOnShutdown
        $c.Services.Name | Should -Be @('app.service', 'worker@1')
        $c.Services.StopTimeoutSec | Should -Be @(60, 60)
        $c.BackupOnShutdown | Should -BeTrue
    }

    It 'keeps an application''s other settings and needs -Force to replace the backup section' {
        $dir = New-TestFolder
        $file = Join-Path $dir 'appsettings.json'
        Set-Content $file '{ "server": { "port": 8080 } }'
        New-SqliteBackupConfig $file -Database (Join-Path $dir 'a.db') -WarningAction SilentlyContinue | Out-Null
        { New-SqliteBackupConfig $file -Database (Join-Path $dir 'a.db') -ErrorAction Stop -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'BackupConfigExists,SqliteBackup.PowerShell.NewSqliteBackupConfigCommand'
        New-SqliteBackupConfig $file -Database (Join-Path $dir 'b.db') -Force -WarningAction SilentlyContinue | Out-Null
        $json = Get-Content -Raw $file | ConvertFrom-Json
        $json.server.port | Should -Be 8080
        $json.backup.databases | Should -Be @('./b.db')
    }

    It 'warns that a database path that is a directory is one, not that it does not exist yet' {
        $dir = New-TestFolder
        New-Item -ItemType Directory (Join-Path $dir 'data') | Out-Null
        New-SqliteBackupConfig (Join-Path $dir 'backup.json') -Database (Join-Path $dir 'data') -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        "$w" | Should -Match "'$([regex]::Escape((Join-Path $dir 'data')))' is a directory, not a database file"
        "$w" | Should -Not -Match 'does not exist'
    }

    It 'reports a bad value with the key that holds it' {
        $dir = New-TestFolder
        Set-Content (Join-Path $dir 'c.json') '{ "backup": { "databases": ["./x.db"], "backup_time": "25:00" } }'
        { Get-SqliteBackupConfig (Join-Path $dir 'c.json') -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'backup.backup_time' is `"25:00`"*"
        Set-Content (Join-Path $dir 'd.json') '{ "backup": { "databases": ["./missing.db"] } }'
        { Get-SqliteBackupConfig (Join-Path $dir 'd.json') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupConfig,SqliteBackup.PowerShell.GetSqliteBackupConfigCommand'
    }
}

Describe 'Databases for a configuration by wildcard' {
    It 'New-SqliteBackupConfig and Register-BackupSchedule expand -Database/-Path wildcards now, passing over sidecar files; no match writes nothing' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') -Employees 5 -JournalMode Delete | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'crm[1].db') -Employees 5 -JournalMode Delete | Out-Null
        New-Item -ItemType File (Join-Path $dir 'app.db-journal') | Out-Null
        $config = New-SqliteBackupConfig (Join-Path $dir 'backup.json') -Database (Join-Path $dir '*')
        ($config.Databases | Sort-Object) | Should -Be (@((Join-Path $dir 'app.db'), (Join-Path $dir 'crm[1].db')) | Sort-Object)
        (Get-Content -Raw (Join-Path $dir 'backup.json') | ConvertFrom-Json).backup.databases | Sort-Object | Should -Be (@('./app.db', './crm[1].db') | Sort-Object)

        { New-SqliteBackupConfig (Join-Path $dir 'none.json') -Database (Join-Path $dir 'zz*.db') -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathWildcardNoMatch,SqliteBackup.PowerShell.NewSqliteBackupConfigCommand'
        Test-Path (Join-Path $dir 'none.json') | Should -BeFalse
        { Register-BackupSchedule -Path (Join-Path $dir 'zz*.db') -Destination (Join-Path $dir 'bk') -Scheduler Cron -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathWildcardNoMatch,SqliteBackup.PowerShell.RegisterBackupScheduleCommand'
        Test-Path (Join-Path $dir 'bk') | Should -BeFalse
        # -LiteralPath names a database with wildcard characters as it is written; -WhatIf writes nothing.
        Register-BackupSchedule -LiteralPath (Join-Path $dir 'crm[1].db') -Destination (Join-Path $dir 'bk') -Scheduler Cron -WhatIf -ErrorAction Stop
        Test-Path (Join-Path $dir 'bk') | Should -BeFalse
    }
}

Describe 'Invoke-SqliteBackupJob' {
    BeforeEach {
        $script:dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $script:config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') | Out-Null
    }

    It 'backs up, verifies, restore-tests and logs; Get-SqliteBackupLog reads the log' {
        $r = Invoke-SqliteBackupJob -ConfigPath $config
        $r.Succeeded | Should -BeTrue
        $r.Backup.Type | Should -Be 'Automatic'
        $r.Verified | Should -BeTrue
        $r.RestoreTest.Passed | Should -BeTrue
        $log = Get-SqliteBackupLog (Join-Path $dir 'backups')
        $log.Event | Should -Contain 'JobStarted'
        $log.Event | Should -Contain 'BackupSucceeded'
        $log.Event | Should -Contain 'RestoreTested'
        $log.Event[-1] | Should -Be 'JobCompleted'
        (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event Backup* -Last 1).Event | Should -Be 'BackupSucceeded'
        (Get-SqliteBackupLog (Join-Path $dir 'backups') -Level Error) | Should -BeNullOrEmpty
        (Get-SqliteBackupLog (Join-Path $dir 'backups') | Out-String -Width 150) | Should -Match 'Time\s+Level\s+Event\s+Database\s+Message'
    }

    It 'names a backup directory that is a file instead of failing with a raw IOException' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        Set-Content (Join-Path $dir 'backups') 'a file, not a directory'
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') -LogFile (Join-Path $dir 'log.jsonl') | Out-Null
        { Invoke-SqliteBackupJob $config -ErrorAction Stop } | Should -Throw -ErrorId 'BackupDirectoryIsFile,SqliteBackup.PowerShell.InvokeSqliteBackupJobCommand'
        Get-Content (Join-Path $dir 'backups') | Should -Be 'a file, not a directory'
    }

    It 'warns once about damaged log lines and reads the rest' {
        Invoke-SqliteBackupJob -ConfigPath $config | Out-Null
        Add-Content (Join-Path $dir 'backups' 'sqlitebackup-log.jsonl') '{ damaged'
        Add-Content (Join-Path $dir 'backups' 'sqlitebackup-log.jsonl') 'also damaged'
        $entries = Get-SqliteBackupLog (Join-Path $dir 'backups') -WarningVariable w -WarningAction SilentlyContinue
        $entries.Count | Should -BeGreaterThan 3
        $w.Count | Should -Be 1
        "$w" | Should -Match 'Skipped 2 damaged line'
    }

    It 'refuses a second job on the same directory held by another process' {
        $backups = Join-Path $dir 'backups'
        New-Item -ItemType Directory $backups | Out-Null
        $holder = Start-Job -ScriptBlock {
            param($lockPath)
            $fs = [IO.File]::Open($lockPath, 'OpenOrCreate', 'ReadWrite', 'None')
            Set-Content "$lockPath.info" "$PID $([DateTime]::UtcNow.ToString('o')) test"
            'locked'
            Start-Sleep -Seconds 30
            $fs.Dispose()
        } -ArgumentList (Join-Path $backups '.sqlitebackup-job.lock')
        try {
            $deadline = (Get-Date).AddSeconds(30)
            while (-not (Receive-Job $holder -Keep | Where-Object { $_ -eq 'locked' }) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            { Invoke-SqliteBackupJob -ConfigPath $config -ErrorAction Stop } | Should -Throw -ErrorId 'BackupJobAlreadyRunning,SqliteBackup.PowerShell.InvokeSqliteBackupJobCommand'
            @(Get-SqliteBackup $backups).Count | Should -Be 0
        }
        finally {
            # Kill the holder outright, as a crash would: its lock file stays behind, its lock does not.
            $holderPid = [int]((Get-Content (Join-Path $backups '.sqlitebackup-job.lock.info')) -split ' ')[0]
            Stop-Process -Id $holderPid -Force -ErrorAction SilentlyContinue
            Wait-Process -Id $holderPid -Timeout 20 -ErrorAction SilentlyContinue
            Remove-Job $holder -Force
        }
        Test-Path (Join-Path $backups '.sqlitebackup-job.lock') | Should -BeTrue
        (Invoke-SqliteBackupJob -ConfigPath $config).Succeeded | Should -BeTrue
    }

    It 'runs from the scheduler''s entry script in another directory with a minimal environment and exits 0, or 1 on failure' {
        $script = Join-Path (Get-Module SqliteBackup).ModuleBase 'Start-SqliteBackupJob.ps1'
        $pwsh = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
        $elsewhere = New-TestFolder
        # As cron does: HOME, a short PATH, nothing else, a different working directory.
        $envArgs = @('-i', "HOME=$HOME", 'PATH=/usr/bin:/bin', 'LANG=C.UTF-8')
        Push-Location $elsewhere
        try {
            $out = & env @envArgs @pwsh -NoProfile -NonInteractive -File $script -ConfigPath $config 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            Set-Content (Join-Path $dir 'app.db') 'now it is not a database'
            $out = & env @envArgs @pwsh -NoProfile -NonInteractive -File $script -ConfigPath $config 2>&1
            $LASTEXITCODE | Should -Be 1 -Because ($out -join "`n")
        }
        finally { Pop-Location }
        @(Get-SqliteBackup (Join-Path $dir 'backups') -Type Automatic).Count | Should -Be 1
        (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event BackupFailed).Error | Should -Match 'not a SQLite database'
    }
}

Describe 'Invoke-SqliteBackupJob -Type Shutdown -TimeoutSec (what a service''s stop runs)' {
    It 'takes a Shutdown backup; past its time limit it gives up cleanly, logs JobTimedOut and exits 1' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') -JournalMode Delete | Out-Null
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') | Out-Null
        $r = Invoke-SqliteBackupJob -ConfigPath $config -Type Shutdown
        $r.Backup.Type | Should -Be 'Shutdown'
        $r.RestoreTest | Should -BeNullOrEmpty

        # Another process's exclusive lock keeps every reader out of a rollback-journal database.
        $holder = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$(Join-Path $dir 'app.db');Pooling=False")
        try {
            $holder.Open()
            $cmd = $holder.CreateCommand(); $cmd.CommandText = 'BEGIN EXCLUSIVE; DELETE FROM assignments;'; $cmd.ExecuteNonQuery() | Out-Null
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $run = Invoke-JobScript $config @('-Type', 'Shutdown', '-TimeoutSec', '1')
            $clock.Stop()
        }
        finally { $holder.Dispose() }
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event JobTimedOut).Count | Should -Be 1
        @(Get-SqliteBackup (Join-Path $dir 'backups')).Count | Should -Be 1
    }
}

Describe 'Start-SqliteBackupJob.ps1 -TimeoutSec under coreutils timeout (as a service''s stop runs it)' {
    It 'counts its time limit from the process start, so it gives up, logs and exits 1 before timeout kills it' {
        if (-not (Get-Command timeout -ErrorAction SilentlyContinue)) { Set-ItResult -Skipped -Because 'coreutils timeout is not installed'; return }
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') -JournalMode Delete | Out-Null
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'app.db') | Out-Null
        $script = Join-Path (Get-Module SqliteBackup).ModuleBase 'Start-SqliteBackupJob.ps1'
        $pwsh = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
        $holder = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$(Join-Path $dir 'app.db');Pooling=False")
        try {
            $holder.Open()
            $cmd = $holder.CreateCommand(); $cmd.CommandText = 'BEGIN EXCLUSIVE; DELETE FROM assignments;'; $cmd.ExecuteNonQuery() | Out-Null
            # The 6 s are counted from the start of pwsh, whose start and module load take seconds of their own; counted from
            # inside the job they would run past the 9 s after which timeout sends SIGTERM.
            $out = & timeout --kill-after=1 9 @pwsh -NoProfile -NonInteractive -File $script -ConfigPath $config -Type Shutdown -TimeoutSec 6 2>&1
            $code = $LASTEXITCODE
        }
        finally { $holder.Dispose() }
        $code | Should -Be 1 -Because ($out -join "`n")
        (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event JobTimedOut).Count | Should -Be 1
        Test-Path (Join-Path $dir 'backups' '.sqlitebackup-job.lock.info') | Should -BeFalse
    }
}

Describe 'Invoke-SqliteBackupJob progress' {
    It 'shows the job as a whole with each operation nested under it' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'a.db') | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'b.db') | Out-Null
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database (Join-Path $dir 'a.db'), (Join-Path $dir 'b.db') | Out-Null
        $r = Invoke-InRunspace "Invoke-SqliteBackupJob -ConfigPath '$config'"
        $r.Errors | Should -BeNullOrEmpty
        $job = $r.Progress | Where-Object ActivityId -eq 1
        $job.StatusDescription | Should -Contain 'a (1 of 2)'
        $job.StatusDescription | Should -Contain 'b (2 of 2)'
        ($r.Progress | Where-Object { $_.ActivityId -eq 2 -and $_.ParentActivityId -eq 1 }).Count | Should -BeGreaterThan 0
    }
}

Describe 'Invoke-SqliteBackupJob: a failure never silences the rest or the alert' {
    It 'a listed database that does not exist fails alone: logged, notified, exit 1, and the others are backed up, verified and rotated' {
        $hook = Start-Hook
        try {
            $dir = New-TestFolder
            New-SqliteSampleDatabase (Join-Path $dir 'a.db') | Out-Null
            $config = Join-Path $dir 'backup.json'
            Set-Content $config (@{ backup = @{ databases = @('./a.db', './missing.db'); weekly_restore_test = $false; notify = @($hook.Url) } } | ConvertTo-Json -Depth 5)
            $run = Invoke-JobScript $config
            $run.ExitCode | Should -Be 1 -Because $run.Output
            $backups = @(Get-SqliteBackup (Join-Path $dir 'backups'))
            $backups.Count | Should -Be 1
            $backups[0].Database | Should -Be 'a'
            $backups[0].Verified | Should -BeTrue
            $failed = Get-SqliteBackupLog (Join-Path $dir 'backups') -Event BackupFailed
            $failed.Database | Should -Be 'missing'
            (Get-SqliteBackupLog (Join-Path $dir 'backups') -Event JobFailed).Message | Should -Match 'missing'
            $deadline = (Get-Date).AddSeconds(10)
            while ($hook.Bodies.Count -lt 1 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $messages = @($hook.Bodies.ToArray() | ConvertFrom-Json)
            $messages.Count | Should -Be 1
            $messages[0].event | Should -Be 'JobFailed'
            $messages[0].database | Should -Be 'missing'
            $messages[0].failedDatabases | Should -Be @('missing')
            $messages[0].text | Should -Match 'missing.*DatabaseNotFound'
        }
        finally { Stop-Hook $hook }
    }

    It 'an old backup that rotation cannot delete fails that database only; the next database is still backed up, and the alert names the failed one' {
        $dir = New-TestFolder
        if (-not (Test-Chattr $dir)) {
            if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'chattr +i needs root and ext4-like file system here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'chattr +i is not available here (needs root and a file system that supports it)'
            return
        }
        $hook = Start-Hook
        $stuck = $null
        try {
            New-SqliteSampleDatabase (Join-Path $dir 'a.db') | Out-Null
            New-SqliteSampleDatabase (Join-Path $dir 'b.db') | Out-Null
            $old = New-SqliteBackup (Join-Path $dir 'a.db') -Destination (Join-Path $dir 'backups') -Type Automatic -Verify None
            Set-BackupCreated $old (Get-Date).AddDays(-10)
            $stuck = $old.ManifestPath
            & chattr +i $stuck
            $config = Join-Path $dir 'backup.json'
            Set-Content $config (@{ backup = @{ databases = @('./a.db', './b.db'); weekly_restore_test = $false; notify = @($hook.Url)
                retention_last = 1; retention_days = 0; retention_weeks = 0; retention_months = 0 } } | ConvertTo-Json -Depth 5)
            $r = Invoke-SqliteBackupJob -ConfigPath $config -ErrorVariable e -ErrorAction SilentlyContinue
            $r.Count | Should -Be 2
            $r[0].Succeeded | Should -BeFalse
            $r[0].Error | Should -Match ([regex]::Escape($old.ManifestPath))
            $r[1].Succeeded | Should -BeTrue
            $r[1].Verified | Should -BeTrue
            $e.Count | Should -Be 1
            $e[0].TargetObject | Should -Be (Join-Path $dir 'a.db')
            $messages = @($hook.Bodies.ToArray() | ConvertFrom-Json)
            $messages.Count | Should -Be 1
            $messages[0].event | Should -Be 'JobFailed'
            $messages[0].failedDatabases | Should -Be @('a')
            $messages[0].summary | Should -Match '1 of 2'
        }
        finally {
            if ($stuck) { & chattr -i $stuck }
            Stop-Hook $hook
        }
    }
}

Describe 'Invoke-SqliteBackupJob -WhatIf' {
    It 'says what would be backed up, verified, rotated (with reasons) and restore-tested, and changes nothing' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $config = Join-Path $dir 'backup.json'
        Set-Content $config (@{ backup = @{ databases = @('./app.db', './gone.db'); retention_last = 2; retention_days = 0; retention_weeks = 0; retention_months = 0 } } | ConvertTo-Json -Depth 5)
        $backups = Join-Path $dir 'backups'
        $made = New-DailyBackups (Join-Path $dir 'app.db') $backups 3 (Get-Date).AddDays(-1)
        Add-Content (Join-Path $backups 'sqlitebackup-log.jsonl') '' -NoNewline
        $before = Get-ChildItem -Recurse -Force $dir | ForEach-Object { '{0} {1} {2}' -f $_.FullName, $_.LastWriteTimeUtc.Ticks, $(if (-not $_.PSIsContainer) { (Get-FileHash $_.FullName).Hash }) }

        $pwsh = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
        $out = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; Invoke-SqliteBackupJob -ConfigPath '$config' -WhatIf" 2>&1
        $text = $out -join "`n"
        $LASTEXITCODE | Should -Be 0 -Because $text
        $text | Should -Match ('What if: .*"Back up as Automatic \(zstd\), then verify \(Standard\)" on target "{0}"' -f [regex]::Escape((Join-Path $dir 'app.db')))
        # The new backup would be the newest; with retention_last 2 the two oldest existing ones go.
        $text | Should -Match ('"Remove by rotation: not kept by any rule \(keep 2 latest snapshots\)" on target "{0}"' -f [regex]::Escape($made[0].Path))
        $text | Should -Match ('"Remove by rotation: not kept by any rule \(keep 2 latest snapshots\)" on target "{0}"' -f [regex]::Escape($made[1].Path))
        $text | Should -Match ('"Keep by rotation: last snapshot" on target "{0}"' -f [regex]::Escape($made[2].Path))
        $text | Should -Match '"Restore-test one backup of app, chosen at random \(no restore test in the log yet\)" on target "app"'
        $text | Should -Match 'gone\.db.*does not exist'

        $after = Get-ChildItem -Recurse -Force $dir | ForEach-Object { '{0} {1} {2}' -f $_.FullName, $_.LastWriteTimeUtc.Ticks, $(if (-not $_.PSIsContainer) { (Get-FileHash $_.FullName).Hash }) }
        $after | Should -Be $before
    }
}

Describe 'Invoke-SqliteBackupJob with -ErrorAction Stop' {
    It 'still returns every database''s result before the error stops the script' {
        $dir = New-TestFolder
        Set-Content (Join-Path $dir 'bad.db') 'not sqlite'
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $config = Join-Path $dir 'backup.json'
        Set-Content $config (@{ backup = @{ databases = @('./bad.db', './app.db'); weekly_restore_test = $false } } | ConvertTo-Json -Depth 5)
        $o = [Collections.Generic.List[object]]::new()
        { Invoke-SqliteBackupJob -ConfigPath $config -ErrorAction Stop | ForEach-Object { $o.Add($_) } } | Should -Throw -ErrorId 'NotASqliteDatabase,*'
        $o.Database | Should -Be @('bad', 'app')
        $o[1].Succeeded | Should -BeTrue
    }
}
