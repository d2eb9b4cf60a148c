@{
    Synopsis    = 'Copies backups to another location, a directory or an object store, data first and manifest last.'
    Description = @(
        'Copy-SqliteBackup takes backups from Get-SqliteBackup (or by the path of a backup file) and copies each to the location given by -BackupPath: a local or mounted directory, or a store URI such as s3://bucket/prefix. It is the way to keep a copy off the machine without losing what makes a backup trustworthy.'
        'The copy is written by the same protocol as a backup: the data object first, create-only and never visible half-written; then it is checked against what the destination stored (the service''s SHA-256 where it keeps one, otherwise the object read back) and only then is the manifest written. An interrupted copy leaves no backup at the destination, and the next run completes it. The copy''s manifest says where it came from (copiedFrom) and carries a Quick verification of its own.'
        'Idempotent: a backup already at the destination (its manifest with the same SHA-256 and its data object of that size) is skipped (Status AlreadyPresent); one with the same name and another hash or size is an error (CopyConflict) and is never overwritten. Where the destination kept the manifest but lost the data object (deleted behind our back; the backup is not listed there), the data is uploaded again under that manifest and checked (Status Copied, with a warning).'
        'Remote locations take their credentials the way their ecosystem does (for S3: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL_S3 or the shared credentials file), or from -Credential. Secrets never appear in a message, a log line or a manifest.'
        'Before writing, what an interrupted earlier run left at the destination is removed: for S3, incomplete multipart uploads under the prefix older than 24 hours (?abort-uploads-after=6h in the location changes the age; a younger upload may be another run''s, still going). A failure there is a warning, never a failed copy.'
        'In an S3 bucket created with Object Lock on, the data object and the manifest are written locked (governance mode; ?lock-mode=compliance for compliance) until the longest rule of the retention policy could keep the backup: the default 30 daily / 12 weekly / 12 monthly, so 12 months, for Copy-SqliteBackup; a job destination''s own retention for a job. A delete the lock refuses is StoreObjectLocked, and the backup stays listed.'
        'Progress shows the bytes sent of the total, the rate and the time left.'
    )
    Parameters  = @{
        InputObject = 'Backups from Get-SqliteBackup (local or remote).'
        Path        = 'The backup file(s) to copy, by path.'
        Credential  = 'The credential for the destination (for s3://: access key id as the user name, secret access key as the password); without it, the environment''s. The piped backups keep the credential they were listed with (Get-SqliteBackup s3://... -Credential $a | Copy-SqliteBackup s3://other -Credential $b): that is the source''s, carried in memory only.'
        BackupPath  = 'Where the copies go: a directory (created owner-only if missing) or a store URI such as s3://bucket/prefix. Aliases -Destination, -BackupDirectory. By position it comes after the backup file (Copy-SqliteBackup ./backups/app_x.db.zst /mnt/offsite), or alone when backups are piped in (Get-SqliteBackup ./backups | Copy-SqliteBackup s3://bucket/prefix).'
    }
    Inputs      = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupInfo'; Description = 'Backups from Get-SqliteBackup.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Copies.CopyResult'; Description = 'Source, Copy (the backup at the destination), Status (Copied, also for a data object uploaded again under a manifest the destination kept; or AlreadyPresent), Duration.' })
    Examples    = @(
        @{ Code = 'Get-SqliteBackup ./backups -Latest 1 | Copy-SqliteBackup -BackupPath /mnt/offsite/app'; Remarks = 'Copies the newest backup of each database to a mounted disk; run it again and nothing is copied twice.' }
        @{ Code = 'Get-SqliteBackup ./backups | Copy-SqliteBackup s3://backups/app'; Remarks = 'Copies every backup to an S3 bucket prefix (credentials from the AWS environment variables or profile).' }
    )
    Links       = @('Get-SqliteBackup', 'Test-SqliteBackup', 'Restore-SqliteBackup', 'about_SqliteBackup')
}
