@{
    Synopsis    = 'Creates a sample employee-management SQLite database to try the module on.'
    Description = @(
        'New-SqliteSampleDatabase writes a new database with departments, employees (with managers), projects and assignments, linked by foreign keys. The content is deterministic. It never overwrites an existing file.'
    )
    Parameters  = @{
        Path        = 'The new database file. Must not exist.'
        Employees   = 'How many employees to create (default 100); projects and assignments scale with it.'
        JournalMode = 'Wal (default) or Delete (rollback journal).'
    }
    Inputs      = @(@{ Type = 'None'; Description = 'Nothing from the pipeline.' })
    Outputs     = @(@{ Type = 'System.IO.FileInfo'; Description = 'The new database file.' })
    Examples    = @(
        @{ Code = 'New-SqliteSampleDatabase ./employees.db | New-SqliteBackup'; Remarks = 'Creates the sample database and backs it up into ./backups.' }
        @{ Code = 'New-SqliteSampleDatabase ./big.db -Employees 100000 -JournalMode Delete'; Remarks = 'A larger sample in rollback-journal mode.' }
    )
    Links       = @('New-SqliteBackup')
}
