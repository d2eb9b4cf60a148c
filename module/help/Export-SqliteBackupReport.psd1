@{
    Synopsis    = 'Writes one self-contained HTML report of a backup directory: history, size chart, retention, schedule, failures and summary.'
    Description = @(
        'Export-SqliteBackupReport writes a single HTML file that needs nothing else: inline CSS, inline SVG charts, no script and no external resource (its Content-Security-Policy forbids loading any), so it opens offline, from a file share or as a mail attachment.'
        'It shows the summary numbers of Measure-SqliteBackup (count, total stored and raw size, oldest, newest, verified share, failures in the last 30 days; each in an element with a data-stat attribute and its exact value in data-value, for scripts); a chart of the stored size of each backup over its creation time, one line per database; the retention timeline, which is what the next rotation would decide under the current policy (kept as daily, weekly, monthly or manual, or removed, with the reasons of Invoke-BackupRotation; nothing is removed); the schedules that run the configuration with their next run; the last 20 failure events of the backup log (BackupFailed, VerificationFailed, RestoreTestFailed, JobFailed); and the backup history with human-readable sizes (exact bytes in data-bytes attributes).'
        'With -ConfigPath the retention policy, the backup directory (unless -BackupPath is given) and the log file come from the job configuration, and the schedules listed are those of the platform scheduler (as Get-BackupSchedule lists them) whose command names the configuration file. A scheduler that cannot be read is a warning and a note in the report, not a failure. Without -ConfigPath the policy is the default (daily 30, weekly 12, monthly 12) and the report says that no schedule is known. Times are local, and retention buckets are cut in the local time zone, as Invoke-SqliteBackupJob does.'
        'Database names, paths and messages are HTML-encoded. The file is written atomically (under a temporary name, then renamed), replacing an earlier report, and is readable by its owner only on Unix. A backup directory that does not exist is reported as an error and the report is still written for the others.'
    )
    Parameters  = @{
        Path       = 'The HTML file to write. An existing file is replaced; its folder must exist.'
        BackupPath = 'Backup directories to report on (wildcards allowed: /backups/*). Default: the configuration''s backup_directory with -ConfigPath, else ./backups.'
        ConfigPath = 'A job configuration file (New-SqliteBackupConfig): its retention policy, backup directory and log file are used, and the schedules that run it are listed.'
    }
    Inputs      = @(@{ Type = 'None'; Description = 'Nothing from the pipeline.' })
    Outputs     = @(@{ Type = 'System.IO.FileInfo'; Description = 'The report file.' })
    Examples    = @(
        @{ Code = 'Export-SqliteBackupReport ./report.html -BackupPath ./backups'; Remarks = 'Reports on ./backups with the default retention policy.' }
        @{ Code = 'Export-SqliteBackupReport /var/www/backups/index.html -ConfigPath /srv/app/backup.json'; Remarks = 'Reports on the backup directory of a scheduled job, with its retention policy, its log and the schedule that runs it.' }
        @{ Code = 'Invoke-Item (Export-SqliteBackupReport ./report.html -BackupPath /backups/app, /backups/crm)'; Remarks = 'One report over two backup directories, opened in the default browser.' }
    )
    Links       = @('Measure-SqliteBackup', 'Invoke-BackupRotation', 'Get-BackupSchedule', 'Get-SqliteBackupLog')
}
