@{
    Synopsis    = 'Reads the backup log: structured events of backups, verifications, rotations, restores and jobs.'
    Description = @(
        'The backup log is a JSON Lines file kept apart from any application log (by default sqlitebackup-log.jsonl in the backup directory). Each line has time (UTC), level, event (BackupStarted, BackupSucceeded, BackupFailed, VerificationPassed, VerificationFailed, RotationRemoved, BackupRemoved, RestoreCompleted, RestoreTested, RestoreTestFailed, JobStarted, JobCompleted, JobFailed), database, backupId, path, size, durationMs, error and message.'
        'Rolled-over files (.1 to .5) are read too, oldest first. A damaged line is reported once in a warning and skipped.'
    )
    Parameters  = @{
        Path     = 'A backup directory or a log file. Default: ./backups. Wildcards are expanded as Get-ChildItem expands them (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath.'
        Last     = 'Only the last n matching entries.'
        Since    = 'Only entries at or after this time.'
        Level    = 'Only these levels: Trace, Debug, Information, Warning, Error, Critical.'
        Event    = 'Only these events (wildcards allowed), e.g. Backup*, RestoreTested.'
        Database = 'Only entries about these databases. A wildcard pattern over database names (case-insensitive); a value whose wildcard characters match no name is taken literally (a database really named app[1]), and a file name or path finds its database (app.db and /srv/app.db find app).'
    }
    Inputs      = @(@{ Type = 'System.String'; Description = 'A path by property name (LogFile of a configuration works).' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Logging.BackupLogEntry'; Description = 'One per log line.' })
    Examples    = @(
        @{ Code = 'Get-SqliteBackupLog ./backups -Last 20'; Remarks = 'The latest twenty events.' }
        @{ Code = 'Get-SqliteBackupLog /backups/app -Level Error -Since (Get-Date).AddDays(-30)'; Remarks = 'Failures of the last thirty days.' }
        @{ Code = 'Get-SqliteBackupConfig ./backup.json | Get-SqliteBackupLog -Event RestoreTested'; Remarks = 'When restore tests ran, for the log named by a configuration.' }
    )
    Links       = @('Invoke-SqliteBackupJob', 'Get-SqliteBackup')
}
