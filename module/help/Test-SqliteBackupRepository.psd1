@{
    Synopsis    = 'Checks an incremental repository: reads every pack and index and reports each damaged or missing block with the snapshots it affects.'
    Description = @(
        'Test-SqliteBackupRepository reads every pack and index in the repository at -Path (a directory or an s3://, azure://, sftp:// location) once: a pack must hash to its name and match its index, each block must decompress to the SHA-256 its index records, and every snapshot''s block list must resolve to blocks that exist. It never writes or deletes.'
        'Output: one RepositoryProblem per problem (Object: the pack, index or manifest; Entry: the block, or empty for the whole object; Problem; Snapshots: the snapshot manifests that cannot be restored because of it), then one RepositoryCheckResult (Location, Snapshots, Packs, BytesRead, Problems, Sound, AffectedSnapshots). When something is wrong a RepositoryCheckFailed error (InvalidData) follows.'
        'An encrypted repository (New-SqliteBackup -Incremental -Recipient or -Passphrase) is checked without a key as far as a key is not needed: each pack against the SHA-256 its name promises and the size its index describes, with a warning that no block was decrypted. With -IdentityFile, -IdentityVariable or -Passphrase every snapshot manifest is authenticated (a manifest whose MAC does not verify is a problem) and every block is decrypted and checked against its keyed id.'
        'Snapshots not named in a problem are sound. For an affected snapshot: restore another snapshot or a plain backup, and take a new backup (New-SqliteBackup -Incremental writes missing blocks again).'
    )
    Parameters  = @{
        Path = 'The repository: a backup directory or a remote location that holds snapshots.'
    }
    Inputs      = @(@{ Type = 'None'; Description = 'The location is given by -Path.' })
    Outputs     = @(
        @{ Type = 'SqliteBackup.Core.Repository.RepositoryProblem'; Description = 'One per damaged or missing pack, index, block or manifest.' }
        @{ Type = 'SqliteBackup.Core.Repository.RepositoryCheckResult'; Description = 'The summary, last.' }
    )
    Examples    = @(
        @{ Code = 'Test-SqliteBackupRepository ./backups'; Remarks = 'Checks the repository in ./backups; the last object says whether it is Sound.' }
        @{ Code = 'Test-SqliteBackupRepository ./backups -IdentityFile ~/.config/sqlitebackup/operator.key'; Remarks = 'An encrypted repository: authenticates every snapshot manifest and decrypts and checks every block.' }
        @{ Code = '(Test-SqliteBackupRepository s3://backups/app -ErrorAction SilentlyContinue | Select-Object -Last 1).AffectedSnapshots'; Remarks = 'The snapshots a damaged pack makes unrestorable.' }
    )
    Links       = @('Test-SqliteBackup', 'New-SqliteBackup', 'Invoke-BackupRotation')
}
