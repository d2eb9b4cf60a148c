@{
    RootModule           = 'SqliteBackup.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = 'a9c3e0f4-5b1d-4e8a-9a57-2f0d6c1b7e42'
    Author               = 'SqliteBackup developers'
    CompanyName          = 'SqliteBackup'
    Copyright            = '(c) SqliteBackup developers. MIT License.'
    Description          = 'Consistent online backups of SQLite databases: verification that proves a backup restores, restore, listing and rotation, as pipeline-friendly cmdlets.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('SqliteBackup.format.ps1xml')
    CmdletsToExport      = @(
        'New-SqliteBackup'
        'Get-SqliteBackup'
        'Test-SqliteBackup'
        'Restore-SqliteBackup'
        'Remove-SqliteBackup'
        'Copy-SqliteBackup'
        'Invoke-BackupRotation'
        'New-SqliteBackupConfig'
        'Get-SqliteBackupConfig'
        'Invoke-SqliteBackupJob'
        'Get-SqliteBackupLog'
        'Measure-SqliteBackup'
        'Export-SqliteBackupReport'
        'Register-BackupSchedule'
        'Get-BackupSchedule'
        'Unregister-BackupSchedule'
        'Test-SqliteBackupNotification'
        'New-SqliteSampleDatabase'
        'Invoke-SqliteBackupGuard'
        'New-SqliteBackupKey'
        'Test-SqliteBackupRepository'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('SQLite', 'Backup', 'Restore', 'Database', 'Linux', 'Windows', 'MacOS')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
