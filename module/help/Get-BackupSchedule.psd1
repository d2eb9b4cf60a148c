@{
    Synopsis    = 'Lists the backup schedules registered with an operating-system scheduler, with their next run.'
    Description = @(
        'Get-BackupSchedule lists the schedules that Register-BackupSchedule created in one scheduler (Auto: the platform''s own), with the cron form of the schedule and NextRun computed by Cronos in local time. A backup on a service''s stop (Register-BackupSchedule -Service) has its Service set, Schedule "when <service> stops", no NextRun, and as Location its systemd drop-in file or task.'
    )
    Parameters  = @{
        Name      = 'Only schedules with these names (wildcards allowed).'
        Scheduler = 'Auto (default), Cron, Systemd, Launchd or TaskScheduler.'
    }
    Inputs      = @(@{ Type = 'None'; Description = 'Nothing from the pipeline.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Scheduling.RegisteredSchedule'; Description = 'Name, Scheduler, CronExpression, NextRun, Command, Location.' })
    Examples    = @(
        @{ Code = 'Get-BackupSchedule'; Remarks = 'Every schedule of ours in the platform''s scheduler.' }
        @{ Code = 'Get-BackupSchedule -Scheduler Cron -Name backup-*'; Remarks = 'Schedules in the crontab whose names start with backup-.' }
    )
    Links       = @('Register-BackupSchedule', 'Unregister-BackupSchedule')
}
