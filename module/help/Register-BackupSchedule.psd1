@{
    Synopsis    = 'Schedules the backup job of a configuration file with the operating system''s scheduler: cron, systemd, launchd or Task Scheduler.'
    Description = @(
        'Register-BackupSchedule makes the operating system run Invoke-SqliteBackupJob for a configuration file: no resident process. The scheduled command is pwsh -NoProfile -NonInteractive -File <module folder>/Start-SqliteBackupJob.ps1 -ConfigPath <absolute path>, with absolute paths resolved now, so it works from cron''s minimal environment and any working directory, and however pwsh was installed (an OS package, a global .NET tool, or a repository''s local .NET tool, in which case dotnet runs $PSHOME/pwsh.dll). Every path is passed as its own argument and quoted for the scheduler, so spaces, quotes, ;, $(), backticks or % in a path can never run a command; a path that cannot be represented safely (a newline in a crontab line) is refused.'
        'Schedules: -Daily (default) at -At (default: backup_time from the configuration), -Weekly with -DaysOfWeek, -Hourly at the minute of -At, or -Cron with a five-field cron expression. Back ends: Cron edits the user''s crontab (our lines carry a "# sqlitebackup:<name>" marker, other lines are never altered); Systemd writes a .service and a .timer (OnCalendar, Persistent=true so missed runs catch up) as user units, or system units for root, and enables the timer; Launchd writes a LaunchAgent plist with StartCalendarInterval; TaskScheduler registers task XML (StartWhenAvailable) with schtasks.exe /Create /XML. Auto picks Task Scheduler on Windows, launchd on macOS, systemd where systemd is running, otherwise cron.'
        'Backup on shutdown: when the configuration says "backup_on_shutdown": true, Systemd also installs a unit whose ExecStop runs the job as the machine shuts down, and TaskScheduler a task triggered by the shutdown event (System log, User32 event 1074). cron and launchd have no shutdown trigger. Both run the job with -Type Shutdown. Before a migration, wrap it in Invoke-SqliteBackupGuard.'
        'Backup when an application''s service stops: -Service app.service (or the configuration''s "services" list) registers, instead of a calendar schedule, a Shutdown backup each time that service stops (systemctl stop, a restart, a crash). On Linux a systemd drop-in <unit>.d/sqlitebackup-<name>.conf (in /etc/systemd/system, or ~/.config/systemd/user for user units) adds ExecStopPost= running the job under coreutils'' timeout, then systemctl daemon-reload; the unit is not restarted. The backup never holds up the stop, hence a restart, longer than -StopTimeoutSec (default 60): the job gives up cleanly after three quarters of it (JobTimedOut in the backup log, an alert, nothing partial left), timeout sends SIGTERM a few seconds before the bound and SIGKILL at it. A failed backup does not mark the service failed. Keep the bound below the unit''s TimeoutStopSec (90 s by default); Register warns when it is not, and when systemd does not know the unit. On Windows a task triggered by the service''s stop (System log, Service Control Manager event 7036; give the display name), with the bound as its time limit. cron and launchd cannot (ServiceStopNotSupported, which says to run Start-SqliteBackupJob.ps1 -Type Shutdown from the service''s own stop script). Each service is a registration of its own, named <name>-<service>; Unregister-BackupSchedule removes exactly the drop-in (and the <unit>.d folder if Register created it) or task.'
        'With -Path (and -BackupPath) instead of -ConfigPath, a configuration file sqlitebackup.json is written into the backup directory first.'
    )
    Parameters  = @{
        ConfigPath  = 'The job configuration (New-SqliteBackupConfig).'
        Path        = 'Database file(s), when there is no configuration yet: one is created in the backup directory. Wildcards are expanded now, as New-SqliteBackupConfig -Database expands them.'
        BackupPath  = 'With -Path: the backup directory (default ./backups beside the first database). Aliases -Destination, -BackupDirectory.'
        Name        = 'The schedule name ([A-Za-z0-9._-], up to 64). Default: the configuration file name plus a hash of its path, so registering the same file again replaces its schedule.'
        At          = 'Time of day, HH:mm (24-hour). Default: backup_time from the configuration. Alias -BackupTime.'
        Daily       = 'Every day at -At (the default).'
        Weekly      = 'Weekly at -At on -DaysOfWeek (default Sunday).'
        DaysOfWeek  = 'With -Weekly: the days, e.g. Monday, Thursday.'
        Hourly      = 'Every hour at the minute of -At.'
        Cron        = 'A five-field cron expression (minute hour day-of-month month day-of-week), validated with Cronos.'
        Scheduler   = 'Auto (default), Cron, Systemd, Launchd or TaskScheduler.'
        Service     = 'Instead of a calendar schedule: take a Shutdown backup each time these services stop. A systemd unit name (.service may be left off) or, on Windows, the service''s display name.'
        StopTimeoutSec = 'With -Service: the longest, in seconds, a backup may hold up the service''s stop and restart (2-3600, default 60). The job gives up cleanly after three quarters of it. In the configuration: "services": [{ "name": "app.service", "stop_timeout_sec": 30 }].'
    }
    Inputs      = @(@{ Type = 'System.String'; Description = 'ConfigPath by property name.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Scheduling.RegisteredSchedule'; Description = 'The schedule as registered: Name, Scheduler, cron form, NextRun, Command, Location.' })
    Examples    = @(
        @{ Code = 'Register-BackupSchedule -ConfigPath /srv/app/backup.json'; Remarks = 'Daily at the configuration''s backup_time with the platform''s scheduler.' }
        @{ Code = 'Register-BackupSchedule -ConfigPath ./backup.json -Weekly -DaysOfWeek Monday, Thursday -At 01:30 -Scheduler Systemd'; Remarks = 'Twice a week with a systemd timer.' }
        @{ Code = 'Register-BackupSchedule -Path ./app.db -BackupPath /backups/app -Cron ''0 */6 * * *'''; Remarks = 'Every six hours; writes /backups/app/sqlitebackup.json first.' }
        @{ Code = 'Register-BackupSchedule -ConfigPath /srv/app/backup.json -Service app.service -StopTimeoutSec 45'; Remarks = 'A Shutdown backup each time app.service stops, never holding it up more than 45 s (a systemd drop-in).' }
    )
    Links       = @('Get-BackupSchedule', 'Unregister-BackupSchedule', 'Invoke-SqliteBackupJob')
}
