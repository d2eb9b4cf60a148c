<#
.SYNOPSIS
    What the operating system's scheduler runs: one backup job from a configuration file, with an exit code.
.DESCRIPTION
    Register-BackupSchedule points cron, systemd, launchd or Task Scheduler at this script with
    pwsh -NoProfile -NonInteractive -File <module folder>/Start-SqliteBackupJob.ps1 -ConfigPath <absolute path>.
    The path reaches the script as its own argument, never inside a command string, so nothing in it can be run.
    Exit code 0: every database was backed up, verified and rotated; 1: at least one failed (see the backup log).
    -Type Shutdown -TimeoutSec N is what a machine's or a service's stop runs: Shutdown backups, no restore test, and
    the job gives up cleanly (logged as JobTimedOut, alerted, exit 1) after N seconds.
#>
param(
    [Parameter(Mandatory)] [string] $ConfigPath,
    [ValidateSet('Automatic', 'Shutdown')] [string] $Type = 'Automatic',
    [int] $TimeoutSec = 0
)
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
try {
    Import-Module (Join-Path $PSScriptRoot 'SqliteBackup.psd1') -ErrorAction Stop
    if ($TimeoutSec -gt 0) {
        # The limit counts from this process's start, as the timeout that runs it does: pwsh and the module take seconds
        # of it already, and a job that counted from here would be killed before it could log and alert that it gave up.
        $spent = [DateTime]::Now - [Diagnostics.Process]::GetCurrentProcess().StartTime
        $TimeoutSec = [Math]::Max(1, [int][Math]::Floor($TimeoutSec - $spent.TotalSeconds))
    }
    $results = Invoke-SqliteBackupJob -ConfigPath $ConfigPath -Type $Type -TimeoutSec $TimeoutSec -ErrorVariable failures
    $results | Format-Table -AutoSize | Out-String -Width 200 | Write-Output
    if ($failures.Count -gt 0) { exit 1 }
    exit 0
}
catch {
    Write-Error $_
    exit 2
}
