@{
    Synopsis    = 'Verifies that backups are intact and restorable, and records the result in each manifest.'
    Description = @(
        'Test-SqliteBackup runs the checks of a verification level and emits one result per backup, with each check''s outcome, duration and message. Levels include the checks of the levels before them:'
        'Quick: the file is present and its size and SHA-256 match the manifest. On a remote location (s3://) it is checked where it lies: the service''s own SHA-256 is compared where the service keeps one for the whole object (AWS S3 for an object sent in one part), otherwise the object is read once as a stream and hashed; nothing is written to disk.'
        'Standard (default): the file also decompresses into a private temporary file whose SHA-256 matches, opens, and passes PRAGMA quick_check.'
        'Full: also PRAGMA integrity_check, PRAGMA foreign_key_check, row counts of every table against the manifest and, with -Query, a query of your own.'
        'Each level reads the backup once, as a stream: Standard and Full hash the stored bytes while decompressing them. A backup in a store (s3://...) is never downloaded as a compressed copy: Quick compares the SHA-256 the server recorded where it keeps one (otherwise reads the object back), Standard and Full decompress it into the private folder (-ScratchPath, or the temporary folder), and the result is recorded in the manifest there.'
        'The result is appended to the manifest''s verification history, which is what Get-SqliteBackup shows as Verified. A failed check is a result with Outcome = Failed (Passed = False) and a warning, not an error, so a pipeline over many backups goes on.'
        'Failed needs evidence about the backup''s own bytes (size or hash mismatch, a missing file in a readable folder, data that does not decompress, quick_check, integrity_check, foreign keys, row counts or your query). A check that could not run (no space or no permission for the scratch copy, an I/O error, no memory) is Outcome = Inconclusive: recorded as such in the manifest, logged as VerificationInconclusive, written as an error naming the cause (DiskFull, PermissionDenied, StorageIOError, VerificationInconclusive) and what to do, and never counted as a failure: rotation keeps the backup, and Verified keeps what the last conclusive check proved.'
        'On a snapshot (Format = Snapshot): Quick checks that every pack it names and its index are present with the recorded size (one listing); Standard and Full reassemble it into a private file in the scratch folder, proving every block''s SHA-256 and the raw SHA-256, then run the same checks as on a plain backup. A damaged block or a missing pack fails the check with a message naming the pack (the snapshot cannot be restored); the result is recorded in the snapshot''s manifest.'
        'An orphan (a backup file without its manifest, from Get-SqliteBackup -IncludeOrphans) is registered when it passes Standard or Full. An encrypted one, including a file encrypted by hand with age (age -r age1... -o app_<stamp>.db.zst.age app_<stamp>.db.zst), needs -IdentityFile, -IdentityVariable or -Passphrase (otherwise EncryptionIdentityMissing, nothing written); the key that opens it is recorded as its recipient and signs the new manifest, so later checks and restores with that key authenticate it. Register only files whose origin you know: registering vouches for them.'
    )
    Parameters  = @{
        InputObject = 'Backups from Get-SqliteBackup.'
        Path        = 'Backup files (or their .manifest.json) to verify. Wildcards are expanded as Get-ChildItem expands them (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath. Each backup a wildcard matches is verified once; other files it matches are passed over.'
        VerificationLevel = 'Quick, Standard (default) or Full (alias -Level; New-SqliteBackup and the configuration use the same name).'
        Query       = 'With -VerificationLevel Full: SQL run against the restored copy. It passes when its first value is not NULL, 0, false or empty, for example: SELECT count(*) > 0 FROM orders.'
    }
    Inputs      = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupInfo'; Description = 'Backups from Get-SqliteBackup.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Verification.VerificationResult'; Description = 'Database, Level, Outcome (Passed, Failed or Inconclusive), Passed, Checks (name, outcome, duration, message), Duration, Message, and for an inconclusive check Cause and Error.' })
    Examples    = @(
        @{ Code = 'Get-SqliteBackup | Where-Object Size -lt 1KB | Test-SqliteBackup'; Remarks = 'Standard verification of every small backup in ./backups.' }
        @{ Code = 'Test-SqliteBackup -Path ./backups/app_20261126-020000_automatic_1a2b3c4d.db.zst -VerificationLevel Full -Query "SELECT count(*) > 0 FROM invoices"'; Remarks = 'Full verification of one backup file with an application-level check.' }
        @{ Code = 'Get-SqliteBackup /backups | Test-SqliteBackup -ScratchPath /var/tmp/sqlitebackup'; Remarks = 'Decompresses into a folder with room instead of beside the backups; a check that finds no room is Inconclusive (an error named DiskFull), never Failed.' }
        @{ Code = '(Get-SqliteBackup -Latest 1 | Test-SqliteBackup -VerificationLevel Full).Checks'; Remarks = 'Shows each check of a full verification of the newest backup of each database.' }
    )
    Links       = @('Get-SqliteBackup', 'New-SqliteBackup', 'Restore-SqliteBackup')
}
