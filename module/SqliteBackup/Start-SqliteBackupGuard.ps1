<#
.SYNOPSIS
    For an application's migration step: back up the database, run a program, restore the backup if the program fails.
.DESCRIPTION
    The one call a non-PowerShell application needs around a migration, with every argument passed as it is (no
    PowerShell quoting):

      pwsh -NoProfile -NonInteractive -File <module folder>/Start-SqliteBackupGuard.ps1 -Path /srv/app/app.db -RestoreOnFailure -- ./migrate up

    -Path takes wildcards (as Invoke-SqliteBackupGuard's does), -LiteralPath takes names as written; the backup
    location is -BackupPath (or -Destination, -BackupDirectory), by default a folder named backups beside each database.

    Everything after -- is the program and its arguments. It runs only after a verified PreMigration backup of -Path;
    a non-zero exit counts as a failure. Exit code: 0 the program succeeded; 1 it failed (and, with -RestoreOnFailure,
    the database was restored from that backup, its failed state kept as a PreRestore backup); 2 the program was not
    run (the backup failed, or the module could not load); 3 it succeeded but -ExpectSchemaChange found the schema
    unchanged. Everything is in the backup log beside the backups.
#>
# No param() block on purpose: everything after -- must reach the program as it is, and PowerShell's own binder would
# read "--", "-c" or "-Path" there as its parameters. Options before -- are read here; -Path and -Notify may repeat.
$Path = @(); $LiteralPath = @(); $Notify = @(); $Destination = $null; $Type = 'PreMigration'; $Name = $null; $NotifyOn = 'Failure'
$RestoreOnFailure = $false; $ExpectSchemaChange = $false; $Command = @()
$all = @($args)
function Get-OptionValue {
    if ($script:i + 1 -ge $script:all.Count) { [Console]::Error.WriteLine("Start-SqliteBackupGuard.ps1: $($script:all[$script:i]) needs a value."); exit 2 }
    $script:i++
    [string] $script:all[$script:i]
}
for ($i = 0; $i -lt $all.Count; $i++) {
    $a = [string] $all[$i]
    switch -Exact ($a) {
        '--' { $Command = @($all | Select-Object -Skip ($i + 1) | ForEach-Object { [string] $_ }); $i = $all.Count; break }
        '-Path' { $Path += (Get-OptionValue); break }
        { $_ -in '-BackupPath', '-Destination', '-BackupDirectory' } { $Destination = Get-OptionValue; break }
        '-LiteralPath' { $LiteralPath += (Get-OptionValue); break }
        '-Type' { $Type = Get-OptionValue; break }
        '-Name' { $Name = Get-OptionValue; break }
        '-Notify' { $Notify += (Get-OptionValue); break }
        '-NotifyOn' { $NotifyOn = Get-OptionValue; break }
        '-RestoreOnFailure' { $RestoreOnFailure = $true; break }
        '-ExpectSchemaChange' { $ExpectSchemaChange = $true; break }
        default { [Console]::Error.WriteLine("Start-SqliteBackupGuard.ps1: unknown option '$a'. Usage: -Path <db> [-Path <db>...] | -LiteralPath <db>... [-BackupPath <dir>] [-Type PreMigration] [-RestoreOnFailure] [-ExpectSchemaChange] [-Name <text>] [-Notify <target>...] -- <program> [arguments...]"); exit 2 }
    }
}
if (($Path.Count -eq 0) -eq ($LiteralPath.Count -eq 0) -or $Command.Count -eq 0) {
    [Console]::Error.WriteLine('Start-SqliteBackupGuard.ps1: give at least one -Path (or -LiteralPath, not both) and, after --, the program to run.')
    exit 2
}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try { Import-Module (Join-Path $PSScriptRoot 'SqliteBackup.psd1') }
catch { Write-Error $_ -ErrorAction Continue; exit 2 }

$program = $Command[0]
$arguments = @($Command | Select-Object -Skip 1)
$guard = @{
    Type = $Type; RestoreOnFailure = $RestoreOnFailure; ExpectSchemaChange = $ExpectSchemaChange
    Name = if ($Name) { $Name } else { $program }; NotifyOn = $NotifyOn
}
if ($Path.Count -gt 0) { $guard.Path = $Path } else { $guard.LiteralPath = $LiteralPath }
if ($Notify.Count -gt 0) { $guard.Notify = $Notify }
if ($Destination) { $guard.BackupPath = $Destination }

$result = $null
try {
    # The program's own output goes straight to the console, as if it had been run directly.
    Invoke-SqliteBackupGuard @guard -ScriptBlock { & $program @arguments | Out-Host } -OutVariable result -ErrorAction Continue | Out-Null
}
catch { Write-Error -ErrorRecord $_ -ErrorAction Continue }

$r = $result | Select-Object -First 1
if (-not $r) { exit 2 }
$summary = "SqliteBackup guard: $($r.Outcome); backup(s): $(($r.Backups | ForEach-Object { $_.Path }) -join ', ')"
if ($r.Outcome -eq 'Failed') { $summary += "; restored: $($r.Restored)" }
Write-Output $summary
switch ($r.Outcome) {
    'NotRun' { exit 2 }
    'Failed' { exit 1 }
}
if ($r.SchemaUnchanged.Count -gt 0) { exit 3 }
exit 0
