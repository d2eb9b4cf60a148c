@{
    Synopsis    = 'Deletes backups: the manifest first, then the backup file.'
    Description = @(
        'Remove-SqliteBackup deletes a backup by hand. The manifest goes first, so from that instant the backup no longer exists for Get-SqliteBackup; if the command is interrupted before the data file is deleted, the data file left is an orphan, which Get-SqliteBackup reports (a warning with how many) and never deletes on its own.'
        'At a remote location (s3://, azure://, sftp://) it also removes orphans listed by Get-SqliteBackup -IncludeOrphans (a data object without a manifest: an upload killed before its manifest, a manifest deleted by someone else), with the same confirmation. It first checks the object is still an orphan of the size listed: one that has its manifest again is a backup and is refused (OrphanNotRemoved). A local orphan is refused (register it with Test-SqliteBackup, or delete the file yourself).'
        'It asks for confirmation by default (ConfirmImpact High). Use -Confirm:$false in scripts, and -WhatIf to see what would go.'
    )
    Parameters  = @{
        InputObject = 'Backups from Get-SqliteBackup.'
        Path        = 'Backup files (or their .manifest.json) to delete. Wildcards are expanded as Get-ChildItem expands them (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath. Each backup a wildcard matches is deleted once (by its data file or manifest); other files it matches are passed over.'
    }
    Inputs      = @(@{ Type = 'SqliteBackup.Core.Catalog.BackupInfo'; Description = 'Backups from Get-SqliteBackup.' })
    Outputs     = @(@{ Type = 'None'; Description = 'Nothing.' })
    Examples    = @(
        @{ Code = 'Get-SqliteBackup ./backups -Type Manual | Where-Object Created -lt (Get-Date).AddYears(-1) | Remove-SqliteBackup -WhatIf'; Remarks = 'Shows which manual backups older than a year would be deleted.' }
        @{ Code = 'Remove-SqliteBackup -Path ./backups/app_20261126-020000_manual_1a2b3c4d.db.zst -Confirm:$false'; Remarks = 'Deletes one backup without asking.' }
        @{ Code = 'Get-SqliteBackup s3://backups/app -IncludeOrphans | Where-Object IsOrphan | Remove-SqliteBackup'; Remarks = 'Removes, after asking for each, the data objects at an S3 location that have no manifest.' }
    )
    Links       = @('Get-SqliteBackup', 'New-SqliteBackup')
}
