@{
    Synopsis    = 'Schedules the backup job of a configuration file with the operating system''s scheduler: cron, systemd, launchd or Task Scheduler.'
    Description = @(
        'Register-BackupSchedule makes the operating system run Invoke-SqliteBackupJob for a configuration file: no resident process. The scheduled command is pwsh -NoProfile -NonInteractive -File <module folder>/Start-SqliteBackupJob.ps1 -ConfigPath <absolute path>, with absolute paths resolved now, so it works from cron''s minimal environment and any working directory, and however pwsh was installed (an OS package, a global .NET tool, or a repository''s local .NET tool, in which case dotnet runs $PSHOME/pwsh.dll). Every path is passed as its own argument and quoted for the scheduler, so spaces, quotes, ;, $(), backticks or % in a path can never run a command; a path that cannot be represented safely (a newline in a crontab line) is refused.'
        'Schedules: -Daily (default) at -At (default: backup_time from the configuration), -Weekly with -DaysOfWeek, -Hourly at the minute of -At, or -Cron with a five-field cron expression. Back ends: Cron edits the user''s crontab (our lines carry a "# sqlitebackup:<name>" marker, other lines are never altered); Systemd writes a .service and a .timer (OnCalendar, Persistent=true so missed runs catch up) as user units, or system units for root, and enables the timer; Launchd writes a LaunchAgent plist with StartCalendarInterval; TaskScheduler registers task XML (StartWhenAvailable) with schtasks.exe /Create /XML. Auto picks Task Scheduler on Windows, launchd on macOS, systemd where systemd is running, otherwise cron.'
        'Backup on shutdown: when the configuration says "backup_on_shutdown": true, Systemd also installs a unit whose ExecStop runs the job as the machine shuts down, and TaskScheduler a task triggered by the shutdown event (System log, User32 event 1074). cron and launchd have no shutdown trigger. Before a migration, run New-SqliteBackup -Type PreMigration in the migration script.'
        'With -Path (and -Destination) instead of -ConfigPath, a configuration file sqlitebackup.json is written into the backup directory first.'
    )
    Parameters  = @{
        ConfigPath  = 'The job configuration (New-SqliteBackupConfig).'
        Path        = 'Database file(s), when there is no configuration yet: one is created in the backup directory. Wildcards are expanded now, as New-SqliteBackupConfig -Database expands them.'
        Destination = 'With -Path: the backup directory (default ./backups beside the first database).'
        Name        = 'The schedule name ([A-Za-z0-9._-], up to 64). Default: the configuration file name plus a hash of its path, so registering the same file again replaces its schedule.'
        At          = 'Time of day, HH:mm (24-hour). Default: backup_time from the configuration.'
        Daily       = 'Every day at -At (the default).'
        Weekly      = 'Weekly at -At on -DaysOfWeek (default Sunday).'
        DaysOfWeek  = 'With -Weekly: the days, e.g. Monday, Thursday.'
        Hourly      = 'Every hour at the minute of -At.'
        Cron        = 'A five-field cron expression (minute hour day-of-month month day-of-week), validated with Cronos.'
        Scheduler   = 'Auto (default), Cron, Systemd, Launchd or TaskScheduler.'
    }
    Inputs      = @(@{ Type = 'System.String'; Description = 'ConfigPath by property name.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Scheduling.Registration.RegisteredSchedule'; Description = 'The schedule as registered: Name, Scheduler, cron form, NextRun, Command, Location.' })
    Examples    = @(
        @{ Code = 'Register-BackupSchedule -ConfigPath /srv/app/backup.json'; Remarks = 'Daily at the configuration''s backup_time with the platform''s scheduler.' }
        @{ Code = 'Register-BackupSchedule -ConfigPath ./backup.json -Weekly -DaysOfWeek Monday, Thursday -At 01:30 -Scheduler Systemd'; Remarks = 'Twice a week with a systemd timer.' }
        @{ Code = 'Register-BackupSchedule -Path ./app.db -Destination /backups/app -Cron ''0 */6 * * *'''; Remarks = 'Every six hours; writes /backups/app/sqlitebackup.json first.' }
    )
    Links       = @('Get-BackupSchedule', 'Unregister-BackupSchedule', 'Invoke-SqliteBackupJob')
}
