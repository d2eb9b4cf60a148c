<#
.SYNOPSIS
    The main job on the embedded default: make a sample employees database, back it up, verify it, list it.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $WorkPath
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
if (Test-Path $WorkPath) { Remove-Item $WorkPath -Recurse -Force }
New-Item -ItemType Directory -Path $WorkPath | Out-Null
$db = Join-Path $WorkPath 'employees.db'
$backups = Join-Path $WorkPath 'backups'

Write-Host "`n> New-SqliteSampleDatabase $db" -ForegroundColor Cyan
New-SqliteSampleDatabase $db | Format-Table Name, Length -AutoSize | Out-Host

Write-Host "> New-SqliteBackup -Path $db -BackupPath $backups -Type Manual" -ForegroundColor Cyan
New-SqliteBackup -Path $db -BackupPath $backups -Type Manual | Out-Host

Write-Host "> Get-SqliteBackup $backups | Test-SqliteBackup -VerificationLevel Full" -ForegroundColor Cyan
$results = Get-SqliteBackup $backups | Test-SqliteBackup -VerificationLevel Full -Query 'SELECT count(*) = 100 FROM employees'
$results | Out-Host
$results[0].Checks | Out-Host

Write-Host "> Get-SqliteBackup $backups" -ForegroundColor Cyan
Get-SqliteBackup $backups | Out-Host

if (@($results | Where-Object { -not $_.Passed }).Count) { Write-Error 'The demo backup failed verification.'; exit 1 }
Write-Host "The sample database and its backup are in $WorkPath." -ForegroundColor Green
