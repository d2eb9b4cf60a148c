@{
    Synopsis    = 'Removes old backups by a grandfather-father-son policy with restic''s exact semantics, and explains every decision.'
    Description = @(
        'Invoke-BackupRotation decides, per backup directory and database, which backups to keep, using the rules of restic''s forget command: the newest backup in each of the n newest hour, day, ISO week, month or year buckets, the n latest backups, everything within a duration of the newest backup (or the newest of each bucket within it), and backups carrying given tags. One backup may satisfy several rules; -1 means unlimited; when a rule still has count left after the buckets run out, the oldest backup is kept for it.'
        'With no -Keep* rule at all, the policy is -KeepDaily 30 -KeepWeekly 12 -KeepMonthly 12.'
        'Manual backups are never removed and never use a count; PreRestore and PreMigration backups are treated the same unless -IncludeType names them. The newest backup that passed verification is never removed. A backup whose latest verification failed never stands for its bucket and is removed (reason "verification failed").'
        'A backup dated more than 5 minutes after this machine''s clock (a clock set wrong for one run) decides nothing: it is kept (reason "dated in the future", FutureDated is true), the other backups are planned as if it were absent, and a warning (event FutureDatedBackup in the backup log) names it and says to correct the clock; remove it by hand with Remove-SqliteBackup once you know what it holds. Invoke-SqliteBackupJob does the same.'
        'Buckets are calendar buckets in the local time zone of the machine (a day is a local calendar day, also across daylight-saving changes), or in UTC with -Utc.'
        'The output is one decision per backup (Action Keep or Remove, with Reasons), newest first per database, so | Where-Object Action -eq Remove reads naturally. -WhatIf shows what would go and removes nothing. A removal deletes the manifest first, then the file.'
    )
    Parameters  = @{
        Path              = 'Backup directories to rotate. Default: ./backups. Wildcards are expanded as Get-ChildItem expands them (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath. Files a wildcard matches are passed over.'
        InputObject       = 'Backups from Get-SqliteBackup. They are collected and planned together, per directory and database.'
        Database          = 'Only rotate backups of these databases. A wildcard pattern over database names (case-insensitive); a value whose wildcard characters match no name is taken literally (a database really named app[1]), and a file name or path finds its database (app.db and /srv/app.db find app).'
        KeepLast          = 'Keep the n latest backups. -1 keeps all.'
        KeepHourly        = 'Keep the newest backup of each of the n newest hours that have backups. -1: every hour.'
        KeepDaily         = 'Keep the newest backup of each of the n newest days that have backups. -1: every day. Alias -RetentionDays.'
        KeepWeekly        = 'Keep the newest backup of each of the n newest ISO weeks that have backups. -1: every week. Alias -RetentionWeeks.'
        KeepMonthly       = 'Keep the newest backup of each of the n newest months that have backups. -1: every month. Alias -RetentionMonths.'
        KeepYearly        = 'Keep the newest backup of each of the n newest years that have backups. -1: every year.'
        KeepWithin        = 'Keep every backup within this duration of the newest backup: restic''s form (1y2m3d4h, calendar arithmetic; unlike restic, no negative part and each unit at most once, so -3d and 1d1d are refused) or a positive TimeSpan of whole hours.'
        KeepWithinHourly  = 'Keep the newest backup of each hour within this duration of the newest backup.'
        KeepWithinDaily   = 'Keep the newest backup of each day within this duration of the newest backup.'
        KeepWithinWeekly  = 'Keep the newest backup of each ISO week within this duration of the newest backup.'
        KeepWithinMonthly = 'Keep the newest backup of each month within this duration of the newest backup.'
        KeepWithinYearly  = 'Keep the newest backup of each year within this duration of the newest backup.'
        KeepTag           = 'Keep backups carrying these tags. Each value is one group; "a,b" keeps backups that carry both a and b.'
        IncludeType       = 'Let rotation remove these normally protected types: PreRestore, PreMigration. Manual backups are always protected.'
        Utc               = 'Compute hour, day, week, month and year buckets in UTC instead of local time.'
    }
    Inputs      = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupInfo'; Description = 'Backups from Get-SqliteBackup.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Retention.RotationDecision'; Description = 'One per backup: Database, Created, Type, Action (Keep or Remove), Reasons, Removed, Path, Backup.' })
    Examples    = @(
        @{ Code = 'Invoke-BackupRotation sftp://backup@nas.lan/srv/backups/app -KeepDaily 30 -KeepMonthly 12 -WhatIf'; Remarks = 'Shows what rotation would remove at an off-site SFTP location, which keeps its own retention.' }
        @{ Code = 'Invoke-BackupRotation ./backups -KeepDaily 30 -KeepWeekly 12 -KeepMonthly 12 -WhatIf'; Remarks = 'Shows which backups a 30/12/12 policy would remove, without removing anything.' }
        @{ Code = 'Get-SqliteBackup ./backups -Database app | Invoke-BackupRotation -KeepDaily 7 | Where-Object Action -eq Remove'; Remarks = 'Keeps one backup per day for the last seven days that have backups of app, and lists what was removed.' }
        @{ Code = 'Invoke-BackupRotation /backups -KeepWithin 2d -KeepWithinDaily 1m -KeepYearly -1 -Utc'; Remarks = 'Everything from the last two days, one per day for a month, one per year forever; buckets in UTC.' }
    )
    Links       = @('Get-SqliteBackup', 'Remove-SqliteBackup', 'New-SqliteBackup')
}
