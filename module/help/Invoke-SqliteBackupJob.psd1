@{
    Synopsis    = 'Runs one backup job from a configuration file: backup, verify, rotate, log and a weekly restore test.'
    Description = @(
        'For each database in the configuration Invoke-SqliteBackupJob takes an Automatic backup (verified at the configured level), rotates that database''s backups by the configured retention, and once a week restores a randomly chosen backup into a temporary file, runs integrity_check, foreign_key_check and the row counts on it, and deletes it. Every step is written to the backup log (JSON Lines).'
        'Two runs on the same backup directory do not interfere: the second stops with BackupJobAlreadyRunning. The lock is an operating-system file lock, released when a killed process dies.'
        'One database failing does not stop the others; each failure is also a non-terminating error, so a script (and Start-SqliteBackupJob.ps1, which the OS scheduler runs) can turn it into a non-zero exit code.'
    )
    Parameters  = @{
        ConfigPath  = 'The JSON configuration file (see New-SqliteBackupConfig).'
        Type        = 'Automatic (default, scheduled runs) or Shutdown (what a machine''s or a service''s stop runs: Shutdown backups and no restore test, which is left to the scheduled runs).'
        TimeoutSec  = 'Give up after this many seconds (0, the default: no limit). A backup in progress is abandoned leaving nothing behind; each database not done fails with BackupJobTimedOut, JobTimedOut is logged and the alert sent. A service''s stop sets it to three quarters of its bound.'
        ScratchPath = 'Overrides the configuration''s scratch_directory: where verification and the restore test decompress. Default: a hidden folder beside the backups, falling back to the system temporary directory when the backup folder cannot take it.'
    }
    Inputs      = @(@{ Type = 'System.String'; Description = 'ConfigPath by property name.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Jobs.DatabaseJobResult'; Description = 'One per database: Succeeded, Backup, Verified, Kept, Removed, PacksPruned, BytesFreed and PacksLocked (an incremental job''s prune), RestoreTest, Destinations (each with its own Removed, Kept, PacksPruned, BytesFreed, PacksLocked), Error.' })
    Examples    = @(
        @{ Code = 'Invoke-SqliteBackupJob -ConfigPath ./backup.json'; Remarks = 'Runs the job now, as the scheduler would.' }
        @{ Code = 'Invoke-SqliteBackupJob -ConfigPath ./backup.json -WhatIf'; Remarks = 'Shows what a run would back up, verify, keep or remove by rotation (with each reason) and restore-test; changes nothing, takes no lock and writes no log line.' }
        @{ Code = 'pwsh -NoProfile -NonInteractive -File (Join-Path (Get-Module SqliteBackup).ModuleBase Start-SqliteBackupJob.ps1) -ConfigPath /srv/app/backup.json; $LASTEXITCODE'; Remarks = 'What the scheduled task runs; the exit code is 0 only when every database succeeded.' }
    )
    Links       = @('New-SqliteBackupConfig', 'Get-SqliteBackupLog', 'Register-BackupSchedule')
}
