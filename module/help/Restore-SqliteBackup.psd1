@{
    Synopsis    = 'Restores a backup into a database file so the target is never half-written.'
    Description = @(
        'Restore-SqliteBackup first checks the backup (size and SHA-256 against the manifest), decompresses it into a temporary file beside the target, checks that the decompressed bytes match the manifest and that PRAGMA quick_check passes. A backup that fails any of this is refused with BackupChecksumMismatch or BackupVerificationFailed and nothing is touched.'
        'When the target does not exist, the restored file is renamed into place, and stray -wal, -shm or -journal files of that name are removed first so they can never be replayed into the restored database.'
        'When the target exists, a PreRestore backup of the current database is taken first, then the content is copied into the existing database through SQLite''s backup API in one transaction, under a busy timeout, so applications with the database open see either the old or the restored content. A target that is not a usable database is kept aside as <name>.before-restore-<time> and replaced by rename. A WAL database whose page size differs from the backup''s is switched out of WAL mode for the copy and back afterwards; while another connection has it open that is impossible, and the restore is refused with RestoreWalPageSizeMismatch before anything is written.'
        'Confirmation: restoring into a new file does not ask. Replacing an existing database asks (like ConfirmImpact High) unless -Force or -Confirm:$false is given; a declined prompt, or a host that cannot ask (pwsh -NonInteractive, cron, CI) without them, refuses with RestoreTargetExists and changes nothing. Scripts restore over a database with -Force or -Confirm:$false.'
        'One backup per target: several backups for one -Destination (for example Get-SqliteBackup -Latest 1 over a directory holding two databases) are refused with RestoreSeveralBackupsForOneTarget, naming them, before anything is restored. -ToSourcePath restores each backup to the database it was taken from (its SourcePath); two backups for one source are refused the same way.'
        'The PreRestore backup goes into the restored backup''s directory; when that is read-only, into a backups folder beside the target, with a warning saying so. -PreRestorePath chooses the folder (a read-only one is refused with PreRestoreLocationNotWritable, never swapped for another); -NoPreRestoreBackup skips it explicitly.'
        'A snapshot (Format = Snapshot, local or remote) is reassembled from its packs into the same private temporary file, every block and the whole image checked against their SHA-256 (a damaged or missing pack is refused with RepositoryDamaged or RepositoryPackMissing, naming it), then restored with the same checks and guards as a plain backup.'
    )
    Parameters  = @{
        InputObject    = 'The backup to restore, from Get-SqliteBackup.'
        Path           = 'The backup file (or its .manifest.json) to restore. Wildcards are expanded as Get-ChildItem expands them (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath.'
        Destination    = 'The database file to restore into. Must not be a directory. Exactly one backup may be given for it. Use either -Destination or -ToSourcePath.'
        ToSourcePath   = 'Restore each backup to the database it was taken from (the SourcePath in its manifest) instead of to -Destination. Two backups for one source path are refused.'
        Force          = 'Replace an existing database (after a PreRestore backup of it) without asking. Needed to replace one when no one can be asked (-NonInteractive).'
        PreRestorePath = 'The folder for the PreRestore backup of a database being replaced (default: the restored backup''s directory, or a backups folder beside the target when that is read-only).'
        NoPreRestoreBackup = 'Replace an existing database without taking a PreRestore backup of it first.'
        FollowSymlink  = 'When -Destination is a symbolic link, restore into the file it finally points to (the link is kept). Without it a link there is refused with RestoreTargetIsSymlink and nothing is changed; a link is never replaced silently.'
        BusyTimeoutSec = 'How long to wait, in seconds, for other connections to release the target (default 30).'
    }
    Inputs      = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupInfo'; Description = 'A backup from Get-SqliteBackup.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Restore.RestoreResult'; Description = 'Destination, Method (Rename or BackupApi), the restored Backup, the PreRestoreBackup taken, and Duration.' })
    Examples    = @(
        @{ Code = 'Get-SqliteBackup azure://myaccount/backups/app -Latest 1 | Restore-SqliteBackup -Destination ./app.db -Force'; Remarks = 'Restores the newest off-site backup from Azure Blob, read once as a stream and checked before the database is replaced; the PreRestore backup stays on this machine.' }
        @{ Code = 'Get-SqliteBackup ./backups -Database app -Latest 1 | Restore-SqliteBackup -Destination ./app.db -Force'; Remarks = 'Puts the newest backup of app back in place, keeping the current database as a PreRestore backup.' }
        @{ Code = 'Restore-SqliteBackup -Path ./backups/app_20261126-020000_automatic_1a2b3c4d.db.zst -Destination /tmp/app-copy.db'; Remarks = 'Restores one backup into a new file, for example to inspect it.' }
        @{ Code = 'Get-SqliteBackup ./backups -Database app -Latest 1 | Restore-SqliteBackup -Destination ./app.db -Force -WhatIf'; Remarks = 'Shows what would be replaced, and by which backup of which database, without doing it.' }
        @{ Code = 'Get-SqliteBackup ./backups -Latest 1 | Restore-SqliteBackup -ToSourcePath -Force -PreRestorePath /var/tmp/prerestore'; Remarks = 'Puts the newest backup of every database back where it was taken from, keeping each current database as a PreRestore backup in /var/tmp/prerestore.' }
    )
    Links       = @('Get-SqliteBackup', 'Test-SqliteBackup', 'New-SqliteBackup')
}
