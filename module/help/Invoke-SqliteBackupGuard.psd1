@{
    Synopsis    = 'Runs a script block (a migration, a bulk import, a repair) only after a verified backup of each database, and restores those backups if it fails.'
    Description = @(
        'Invoke-SqliteBackupGuard takes a backup of every -Path database (PreMigration by default) and verifies it (Standard: decompressed, opened, PRAGMA quick_check). If any backup fails, the script block never runs and the command stops with GuardBackupFailed, naming the database and the cause.'
        'Then it runs the script block in a scope of its own under yours (your variables are visible). Inside it every error stops it: a terminating error, an error written by a command, and a native program''s non-zero exit ($PSNativeCommandUseErrorActionPreference). A script it calls cannot escape this: an error that script writes under its own $ErrorActionPreference = ''Continue'' is a failure, and so is $LASTEXITCODE left non-zero when the block ends (a .ps1 that ends with exit 7; ErrorId GuardedOperationExitCode). On failure the databases are left as the script left them, or, with -RestoreOnFailure, each is restored from the backup just taken through Restore-SqliteBackup''s safe path (the failed state is kept as a PreRestore backup first); then the script block''s ORIGINAL error is thrown again, unchanged, so try/catch, -ErrorAction Stop and $ErrorActionPreference = ''Stop'' see the real cause.'
        'One result object per run: Outcome (Succeeded, Failed, NotRun), Databases (each with its Backup, SchemaBefore, SchemaAfter, Restore), Backups, Restored, Output (what the script block returned) and Duration. When the command throws, take the object with -OutVariable.'
        'Every step is in the backup log beside the backups (GuardedOperationSucceeded, GuardedOperationFailed, GuardedOperationNotRun, GuardRestored, GuardRestoreFailed, SchemaChangeChecked) and failures are sent to -Notify targets before the error is thrown.'
        'From another language''s application: pwsh -NoProfile -NonInteractive -File <module folder>/Start-SqliteBackupGuard.ps1 -Path ./app.db -RestoreOnFailure -- ./migrate up (exit code 0 success, 1 the program failed, 2 not run, 3 schema unchanged with -ExpectSchemaChange).'
    )
    Parameters  = @{
        Path               = 'The database file(s) the script block may change. Each is backed up first; relative paths are resolved against the current location. Wildcards expand as in New-SqliteBackup; one that matches nothing (PathWildcardNoMatch) stops the command before any backup, and the script block never runs.'
        LiteralPath        = 'Like -Path, but taken exactly as written (a database named ''app[1].db''). Aliases PSPath, LP.'
        ScriptBlock        = 'The operation. Runs only after every backup is taken and verified.'
        BackupPath         = 'The backup directory. Default: a folder named backups beside each database. Aliases Destination, BackupDirectory.'
        Type               = 'The backup type: PreMigration (default; never removed by rotation unless -IncludeType names it), Manual, Automatic or Shutdown.'
        RestoreOnFailure   = 'When the script block fails, restore each database from the backup just taken (through the safe restore path, with a PreRestore backup of the failed state), then rethrow the error. Without it the databases are left as the script left them.'
        ExpectSchemaChange = 'The script block is a migration: after it succeeds, a database whose PRAGMA user_version and schema (a SHA-256 of sqlite_schema) are both unchanged is reported with a SchemaNotChanged error. A database whose schema cannot be read afterwards (overwritten, removed, damaged) makes the run a failure (SchemaUnreadable; restored with -RestoreOnFailure). Before and after are recorded in the backup log (SchemaChangeChecked).'
        Name               = 'What the script block does, for the backup log and alerts (for example ''migration 0042'').'
        Compression        = 'Zstd (default), Gzip or None.'
        Tag                = 'Labels stored in the backups'' manifests, for example the release being migrated to.'
        BusyTimeoutSec     = 'How long to wait, in seconds, for a lock held by another connection (default 30).'
    }
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Guard.GuardResult'; Description = 'What happened: Outcome, Databases, Backups, Restored, Output, Duration.' })
    Examples    = @(
        @{ Code = 'Invoke-SqliteBackupGuard -Path ./app.db -RestoreOnFailure -ExpectSchemaChange { ./migrate.ps1 -To 42 }'; Remarks = 'A verified PreMigration backup, the migration, and the way back if it fails.' }
        @{ Code = '$ErrorActionPreference = ''Stop''; Invoke-SqliteBackupGuard ./crm.db, ./audit.db -Name ''bulk import'' -Type Manual { Import-Csv ./people.csv | ForEach-Object { ... } }'; Remarks = 'Two databases, one guarded bulk import in an admin script; any error stops the script after the guard has logged it.' }
        @{ Code = 'pwsh -NoProfile -NonInteractive -Command "Invoke-SqliteBackupGuard -Path /srv/app/app.db -RestoreOnFailure { ./migrate up }"'; Remarks = 'From a deployment script: exit code 0 on success, non-zero when the migration failed (and the database was restored).' }
    )
    Links       = @('New-SqliteBackup', 'Restore-SqliteBackup', 'Get-SqliteBackupLog', 'about_SqliteBackup')
}
