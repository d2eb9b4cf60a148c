@{
    Synopsis    = 'Removes a backup schedule from the operating-system scheduler.'
    Description = @(
        'Unregister-BackupSchedule removes what Register-BackupSchedule created: our crontab line (every other line stays byte for byte), the systemd units, a service''s drop-in (and its <unit>.d folder only when Register created it, then systemctl daemon-reload), the LaunchAgent, or the scheduled tasks. Backups, configuration and log are not touched. Supports -WhatIf.'
    )
    Parameters  = @{
        Name      = 'The schedule name; accepts objects from Get-BackupSchedule.'
        Scheduler = 'Auto (default), Cron, Systemd, Launchd or TaskScheduler; taken from Get-BackupSchedule objects.'
    }
    Inputs      = @(@{ Type = 'SqliteBackup.Core.Scheduling.RegisteredSchedule'; Description = 'Schedules from Get-BackupSchedule.' })
    Outputs     = @(@{ Type = 'None'; Description = 'Nothing.' })
    Examples    = @(
        @{ Code = 'Unregister-BackupSchedule -Name backup-1a2b3c4d'; Remarks = 'Removes one schedule.' }
        @{ Code = 'Get-BackupSchedule -Name test-* | Unregister-BackupSchedule -Confirm:$false'; Remarks = 'Removes every schedule whose name starts with test-.' }
    )
    Links       = @('Register-BackupSchedule', 'Get-BackupSchedule')
}
