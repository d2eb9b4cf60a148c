@{
    Synopsis    = 'Reads and validates a backup job configuration file.'
    Description = @(
        'Get-SqliteBackupConfig reads the "backup" section of a JSON file and checks it the way the job will: unknown keys, a time such as "25:00", negative retention other than -1, a wrong type, no database, or a database that does not exist are each an InvalidBackupConfig error naming the key. Relative paths are resolved against the file''s folder.'
        'An "encryption" section is checked too: a recipient that is not an age public key, or a secret key or passphrase written into the file, is an InvalidBackupConfig error (the secret is not repeated); an identity or passphrase file that is missing or readable by others, or a named environment variable that is not set in this session, is a warning.'
    )
    Parameters  = @{ Path = 'The configuration file(s). Wildcards are expanded (a wildcard that matches nothing is a PathWildcardNoMatch error); for a name that contains [ ] use -LiteralPath. Accepts strings and Get-ChildItem objects from the pipeline.' }
    Inputs      = @(@{ Type = 'System.String'; Description = 'Configuration file paths.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Jobs.BackupJobConfig'; Description = 'The configuration with absolute paths and the retention policy.' })
    Examples    = @(
        @{ Code = 'Get-SqliteBackupConfig ./backup.json'; Remarks = 'Shows the configuration, or says what is wrong with it.' }
        @{ Code = '(Get-SqliteBackupConfig ./backup.json).RetentionPolicy'; Remarks = 'The retention policy the job applies.' }
    )
    Links       = @('New-SqliteBackupConfig', 'Invoke-SqliteBackupJob')
}
