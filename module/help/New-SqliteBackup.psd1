@{
    Synopsis    = 'Takes a consistent online backup of a SQLite database, compresses it, verifies it and writes its manifest.'
    Description = @(
        'New-SqliteBackup copies the database through SQLite''s online backup API, never as a file copy, so the backup is a transactionally consistent image of one instant even while another process keeps writing. Committed content still in the write-ahead log is included. The source is opened read-only and never modified.'
        'The backup is written under a temporary name, compressed (zstd by default) and hashed in one pass, flushed and renamed into place; it is then verified (Standard by default) and only then is its JSON manifest written beside it. A backup without a manifest does not exist for Get-SqliteBackup, so an interrupted run never leaves something that looks like a backup. Files and created directories are owner-only on Unix (0600/0700).'
        'Backup files are standard: zstd -d or gunzip, then the sqlite3 CLI opens them. Names follow <database>_<yyyyMMdd-HHmmss>_<type>_<id>.db.zst, so two backups in the same second never collide.'
        'Failures are error records with a stable ErrorId: DatabaseNotFound, NotASqliteDatabase, DatabaseCorrupt, DatabaseLocked, DestinationNotWritable, DiskFull, BackupVerificationFailed. Nothing partial is left behind and earlier backups are never touched.'
    )
    Parameters  = @{
        Path           = 'The database file(s) to back up (New-SqliteBackup ./data/*.db). Accepts strings and objects with a Path or FullName from the pipeline. Relative paths are resolved against the current location. Wildcards are expanded as Get-ChildItem expands them (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath. The -wal, -shm and -journal files of a database beside them, and folders, that a wildcard matches or Get-ChildItem pipes in (Get-ChildItem ./data | New-SqliteBackup) are passed over with a verbose line; named on their own they are errors.'
        BackupPath     = 'The backup directory (aliases -Destination, -BackupDirectory: every cmdlet and the configuration call the backup location by this one name). Default: a folder named backups beside the database. Created (owner-only) when missing.'
        Type           = 'Why the backup is taken: Manual (default; never removed by rotation), Automatic (scheduled runs), PreMigration (before a schema change), Shutdown.'
        Compression    = 'Zstd (default), Gzip or None. Zstd and Gzip files decompress with the standard zstd and gunzip tools.'
        VerificationLevel = 'Verification run on the new backup before its manifest is written: None, Quick (size and SHA-256), Standard (default; also decompresses, opens and runs PRAGMA quick_check) or Full (also integrity_check, foreign_key_check and row counts). A backup that fails is deleted and an error is written. A verification that could not run (no space or no permission for its scratch copy) also deletes the new backup, with the real cause as the error (DiskFull, PermissionDenied...), never BackupVerificationFailed.'
        Tag            = 'Free-form labels stored in the manifest, for example a release number.'
        Incremental    = 'Stores the backup as a snapshot in the incremental repository at -BackupPath (a local folder or a store URI; created by the first incremental backup, beside any plain backups there). The database is captured exactly as for a plain backup, cut into fixed-size blocks, and only blocks the repository does not hold yet are compressed (zstd) and written, in pack objects of up to 16 MiB; the snapshot''s manifest lists its blocks and is written last. Every snapshot restores on its own, byte-identical to a plain backup of the same instant. Only -Compression Zstd applies (IncrementalNeedsZstd otherwise).'
        BlockSize      = 'The block size in bytes (a power of two, 512 to 1048576; default 4096) of the repository this backup creates. An existing repository keeps its own: a different value is a RepositoryBlockSizeMismatch error. Needs -Incremental.'
        BusyTimeoutSec = 'How long to wait, in seconds, while another connection holds a lock that blocks reading (default 30). After that the command fails with DatabaseLocked.'
    }
    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Database paths.' }
        @{ Type = 'System.IO.FileInfo'; Description = 'Database files from Get-ChildItem, bound literally by their PSPath (-LiteralPath).' }
    )
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupInfo'; Description = 'The new backup: Database, Created, Type, Size (bytes), RawSize, Compression, Verified, Path, Id and the full Manifest.' })
    Notes       = @('For a database in rollback-journal mode a constant writer can restart the copy; after three restarts the rest of the copy is taken under one short read lock, which the writer waits out with its own busy timeout. In WAL mode writers are never blocked.')
    Examples    = @(
        @{ Code = 'New-SqliteBackup ./app.db -BackupPath s3://backups/app -Credential (Get-Credential)'; Remarks = 'Streams the backup to an S3 bucket (also azure://account/container/prefix or sftp://user@host/path): compressed and hashed into the upload, verified where it landed, manifest last. The credential (access key id and secret) stays in memory; without -Credential the AWS environment variables or profile are used.' }
        @{ Code = 'New-SqliteBackup ./app.db -BackupPath /backups/app -Incremental'; Remarks = 'Takes a snapshot into the incremental repository in /backups/app: after the first, each snapshot stores only the blocks that changed (a few MB for 1 % of a 256 MiB database), and still restores on its own.' }
        @{ Code = 'New-SqliteBackup -Path ./app.db -Type Manual'; Remarks = 'Backs up app.db into ./backups (zstd, Standard verification) and prints the backup.' }
        @{ Code = 'Get-ChildItem /srv/data/*.db | New-SqliteBackup -BackupPath /backups/sqlite -VerificationLevel Full -Tag nightly'; Remarks = 'Backs up every database in a folder into one backup directory, with full verification. A failure of one database is reported and the others still run.' }
        @{ Code = 'Get-ChildItem /srv/data | New-SqliteBackup -BackupPath /backups/sqlite'; Remarks = 'Backs up every database in /srv/data. The -wal, -shm and -journal files and folders in the listing are passed over (a verbose line each); names with [ ] are taken literally, since Get-ChildItem''s objects bind to -LiteralPath.' }
        @{ Code = 'New-SqliteBackup -LiteralPath ''./app[1].db'''; Remarks = 'A database whose name contains wildcard characters; with -Path, [1] would mean the character 1.' }
        @{ Code = 'New-SqliteBackup ./app.db -Type PreMigration -Compression Gzip; ./migrate.ps1'; Remarks = 'Takes a PreMigration backup before a schema change, in gzip format.' }
    )
    Links       = @('Get-SqliteBackup', 'Test-SqliteBackup', 'Restore-SqliteBackup', 'about_SqliteBackup')
}
