@{
    Synopsis    = 'Backup history statistics: count, sizes, oldest and newest, per type and database, verified share, recent failures.'
    Description = @(
        'Measure-SqliteBackup adds up a set of backups, from a backup directory or from Get-SqliteBackup: Count, TotalStoredSize and TotalRawSize (bytes), Oldest and Newest (local time), ByType and ByDatabase counts, VerifiedShare (the share whose latest verification passed), AverageDurationMs (from the manifests) and FailuresLast30Days: BackupFailed, VerificationFailed, RestoreTestFailed and JobFailed events in the backup logs of the directories measured.'
        'With snapshots of an incremental repository: Snapshots (how many), Repositories (per location: LogicalSize, the snapshots'' raw sizes added up, against StoredSize, its packs, indexes and snapshot manifests, and DedupRatio), LogicalSize, RepositoryStoredSize and DedupRatio over all of them, and RepositoryByDatabase (per database: Snapshots, LogicalSize, AddedSize = the bytes of the packs its snapshots wrote, DedupRatio). TotalStoredSize counts each repository once, never the snapshots'' sizes added up (they share blocks).'
    )
    Parameters  = @{
        Path        = 'Backup directories to measure. Default: ./backups. Wildcards are expanded as Get-ChildItem expands them (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath. Files a wildcard matches are passed over.'
        InputObject = 'Backups from Get-SqliteBackup (for example filtered by database or type).'
    }
    Inputs      = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupInfo'; Description = 'Backups from Get-SqliteBackup.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupStatistics'; Description = 'One statistics object for everything measured.' })
    Examples    = @(
        @{ Code = 'Measure-SqliteBackup ./backups'; Remarks = 'The whole backup directory at a glance.' }
        @{ Code = 'Get-SqliteBackup /backups -Database app -Type Automatic | Measure-SqliteBackup'; Remarks = 'Only the scheduled backups of app.' }
    )
    Links       = @('Get-SqliteBackup', 'Get-SqliteBackupLog')
}
