@{
    Synopsis    = 'Restores a backup into a database file so the target is never half-written.'
    Description = @(
        'Restore-SqliteBackup first checks the backup (size and SHA-256 against the manifest), decompresses it into a temporary file beside the target, checks that the decompressed bytes match the manifest and that PRAGMA quick_check passes. A backup that fails any of this is refused with BackupChecksumMismatch or BackupVerificationFailed and nothing is touched.'
        'When the target does not exist, the restored file is renamed into place, and stray -wal, -shm or -journal files of that name are removed first so they can never be replayed into the restored database.'
        'When the target exists, -Force is required. A PreRestore backup of the current database is taken first (into the restored backup''s directory), then the content is copied into the existing database through SQLite''s backup API in one transaction, under a busy timeout, so applications with the database open see either the old or the restored content. A target that is not a usable database is kept aside as <name>.before-restore-<time> and replaced by rename.'
    )
    Parameters  = @{
        InputObject    = 'The backup to restore, from Get-SqliteBackup.'
        Path           = 'The backup file (or its .manifest.json) to restore.'
        Destination    = 'The database file to restore into. Must not be a directory.'
        Force          = 'Replace an existing database (after a PreRestore backup of it).'
        FollowSymlink  = 'When -Destination is a symbolic link, restore into the file it finally points to (the link is kept). Without it a link there is refused with RestoreTargetIsSymlink and nothing is changed; a link is never replaced silently.'
        BusyTimeoutSec = 'How long to wait, in seconds, for other connections to release the target (default 30).'
    }
    Inputs      = @(@{ Type = 'SqliteBackup.Core.BackupInfo'; Description = 'A backup from Get-SqliteBackup.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.RestoreResult'; Description = 'Destination, Method (Rename or BackupApi), the restored Backup, the PreRestoreBackup taken, and Duration.' })
    Examples    = @(
        @{ Code = 'Get-SqliteBackup ./backups -Database app -Latest 1 | Restore-SqliteBackup -Destination ./app.db -Force'; Remarks = 'Puts the newest backup of app back in place, keeping the current database as a PreRestore backup.' }
        @{ Code = 'Restore-SqliteBackup -Path ./backups/app_20261126-020000_automatic_1a2b3c4d.db.zst -Destination /tmp/app-copy.db'; Remarks = 'Restores one backup into a new file, for example to inspect it.' }
        @{ Code = 'Get-SqliteBackup -Latest 1 | Restore-SqliteBackup -Destination ./app.db -Force -WhatIf'; Remarks = 'Shows what would be replaced without doing it.' }
    )
    Links       = @('Get-SqliteBackup', 'Test-SqliteBackup', 'New-SqliteBackup')
}
