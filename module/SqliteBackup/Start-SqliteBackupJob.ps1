<#
.SYNOPSIS
    What the operating system's scheduler runs: one backup job from a configuration file, with an exit code.
.DESCRIPTION
    Register-BackupSchedule points cron, systemd, launchd or Task Scheduler at this script with
    pwsh -NoProfile -NonInteractive -File <module folder>/Start-SqliteBackupJob.ps1 -ConfigPath <absolute path>.
    The path reaches the script as its own argument, never inside a command string, so nothing in it can be run.
    Exit code 0: every database was backed up, verified and rotated; 1: at least one failed (see the backup log).
#>
param(
    [Parameter(Mandatory)] [string] $ConfigPath
)
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
try {
    Import-Module (Join-Path $PSScriptRoot 'SqliteBackup.psd1') -ErrorAction Stop
    $results = Invoke-SqliteBackupJob -ConfigPath $ConfigPath -ErrorVariable failures
    $results | Format-Table -AutoSize | Out-String -Width 200 | Write-Output
    if ($failures.Count -gt 0) { exit 1 }
    exit 0
}
catch {
    Write-Error $_
    exit 2
}
