@{
    Synopsis    = 'Lists the backups in a backup directory, oldest first.'
    Description = @(
        'Get-SqliteBackup reads the manifests in a backup directory and emits one object per backup. A file without a valid manifest (an interrupted backup, a temporary) is not a backup and is not listed; a damaged manifest is skipped with a warning.'
        'Objects carry Created (local time for display; CreatedUtc keeps UTC), Size in bytes (so Where-Object Size -lt 1KB works), StoredSize, RawSize, Compression, Verified (the outcome of the latest verification, or $null if never verified), LastVerification, Path and Id. A backup directory stays valid when copied or moved: manifests name their file relative to themselves.'
        'Snapshots of an incremental repository (New-SqliteBackup -Incremental) are listed beside plain backups in the same location, with Format = Snapshot (plain backups: Plain) and Size = the stored bytes of the blocks the snapshot uses. A snapshot exists when its manifest parses and every pack it names, with its index, is there; in a directory one whose pack is missing stays listed (Test-SqliteBackup says which pack), at a remote location it is left out with a warning naming the pack. Packs, indexes and the repository''s config are neither backups nor orphans.'
    )
    Parameters  = @{
        Path     = 'Backup directories to read. Default: ./backups. Accepts directory objects from the pipeline. Wildcards are expanded as Get-ChildItem expands them (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath. Backup files or manifests a wildcard matches (./backups/app_2024*) are listed as those backups; other files it matches are passed over.'
        Database = 'Only backups of these databases (the database file name without extension). A wildcard pattern over database names (case-insensitive); a value whose wildcard characters match no name is taken literally (a database really named app[1]), and a file name or path finds its database (app.db and /srv/app.db find app).'
        Type     = 'Only backups of these types: Manual, Automatic, PreMigration, Shutdown, PreRestore.'
        Latest   = 'Only the newest n backups of each database. A backup dated more than 5 minutes after this machine''s clock (taken while a clock was wrong) ranks after every backup dated up to now, and a warning names it, so -Latest 1 | Restore-SqliteBackup never picks it silently. It is still listed without -Latest.'
        Since    = 'Only backups created at or after this time (local time unless the DateTime says otherwise).'
        IncludeOrphans = 'Also list orphans: backup-named files whose manifest is gone (IsOrphan = True, no checksums, details from the file name), after the commands listed them. Orphans are never deleted by cleanup; Test-SqliteBackup -VerificationLevel Standard or Full registers one that passes (a new manifest built from the file itself). Without this switch a warning says how many there are. At a remote location an orphan is a data object without a manifest written more than an hour ago (younger, it may be a backup still being written); the warning also names them (the first ten). A remote orphan is not registered where it lies: copy it into a local directory with your storage tool and test it there, or remove it with Remove-SqliteBackup (RemoteOrphanNotRegistered says so).'
    }
    Inputs      = @(@{ Type = 'System.String'; Description = 'Backup directory paths.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupInfo'; Description = 'One object per backup.' })
    Examples    = @(
        @{ Code = '$c = Get-Credential; Get-SqliteBackup s3://backups/app -Credential $c | Test-SqliteBackup'; Remarks = 'Lists the backups in an S3 prefix and verifies each where it lies; the piped backups carry the credential in memory, so Test-SqliteBackup needs no -Credential.' }
        @{ Code = 'Get-SqliteBackup ./backups'; Remarks = 'Lists every backup in ./backups as a table with human-readable sizes.' }
        @{ Code = 'Get-SqliteBackup | Where-Object Size -lt 1KB | Test-SqliteBackup'; Remarks = 'Verifies the suspiciously small backups in ./backups.' }
        @{ Code = 'Get-SqliteBackup /backups -Database app -Latest 1 | Restore-SqliteBackup -Destination ./app.db -Force'; Remarks = 'Restores the newest backup of app.db.' }
        @{ Code = 'Get-SqliteBackup /backups/* -Database app.db'; Remarks = 'The backups of app (app.db finds database app) in every backup folder under /backups. Press Tab after -Database to see the databases backed up there.' }
        @{ Code = 'Get-SqliteBackup -Type Automatic -Since (Get-Date).AddDays(-7)'; Remarks = 'Scheduled backups of the last seven days.' }
        @{ Code = 'Get-SqliteBackup ./backups -IncludeOrphans | Where-Object IsOrphan | Test-SqliteBackup -VerificationLevel Standard'; Remarks = 'Registers again the backup files whose manifest was lost, each only if it passes.' }
    )
    Links       = @('New-SqliteBackup', 'Test-SqliteBackup', 'Remove-SqliteBackup')
}
