<#
.SYNOPSIS
    Encrypted incremental backups against the same incremental backups unencrypted, in the same run.
.DESCRIPTION
    On a -SizeMiB WAL database (generated in -DataPath when missing; default 256 MiB): a first snapshot into an
    unencrypted and into an encrypted repository (recipient mode, the writer's own key), then -Runs alternating rounds
    of one incremental snapshot into each after the same churn (bench/Invoke-Churn.ps1, -Operations, fixed seed). Each
    round's objects are removed again so that every round adds the same blocks. Verification -Level (Quick by default)
    is the same on both sides. Prints each time and the ratio of the medians. Run from the repository after
    ./build.ps1 -Task Build, under flock /tmp/sqlitebackup-build.lock.
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/SqliteBackup/SqliteBackup.psd1'),
    [int] $SizeMiB = 256,
    [int] $Operations = 4000,
    [ValidateRange(1, 20)] [int] $Runs = 5,
    [ValidateSet('Quick', 'Standard', 'Full')] [string] $Level = 'Quick',
    [string] $DataPath = (Join-Path $PSScriptRoot 'data')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath
$ProgressPreference = 'SilentlyContinue'
New-Item -ItemType Directory -Force -Path $DataPath | Out-Null
$source = Join-Path (Resolve-Path $DataPath).Path "bench-$SizeMiB.db"
if (-not (Test-Path $source)) { New-BenchDatabase $source $SizeMiB }
$dir = Join-Path ([IO.Path]::GetTempPath()) ("encrepo-bench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $dir | Out-Null
try {
    $db = Join-Path $dir 'app.db'
    sqlite3 $source ".backup '$db'"
    $key = New-SqliteBackupKey (Join-Path $dir 'key.txt')
    $repos = @{ plain = (Join-Path $dir 'plain'); encrypted = (Join-Path $dir 'encrypted') }
    function Backup([string] $mode) {
        $p = @{ LiteralPath = $db; BackupPath = $repos[$mode]; Incremental = $true; VerificationLevel = $Level }
        if ($mode -eq 'encrypted') { $p.Recipient = $key.Recipient; $p.IdentityFile = $key.Path }
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $b = New-SqliteBackup @p
        [pscustomobject]@{ Mode = $mode; Seconds = [math]::Round($sw.Elapsed.TotalSeconds, 2); AddedMiB = [math]::Round($b.Manifest.Repository.AddedSize / 1MB, 2) }
    }
    # Warm-up (JIT, page cache) into repositories thrown away, so that the first timed snapshot is not the cold one.
    foreach ($mode in 'plain', 'encrypted') { Backup $mode | Out-Null; Remove-Item -Recurse -Force $repos[$mode] }
    $first = foreach ($mode in 'encrypted', 'plain') { Backup $mode }
    $first | ForEach-Object { Write-Host ("first snapshot, {0}: {1} s, {2} MiB added" -f $_.Mode, $_.Seconds, $_.AddedMiB) }
    $pwsh = Get-BenchPwsh
    $rest = @($pwsh | Select-Object -Skip 1)
    & $pwsh[0] @rest -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'Invoke-Churn.ps1') -ModulePath $ModulePath -Database $db -Operations $Operations -Seed 7 | Out-Host
    if ($LASTEXITCODE) { throw 'Invoke-Churn.ps1 failed' }
    $before = @{}
    foreach ($mode in 'plain', 'encrypted') { $before[$mode] = @(Get-ChildItem $repos[$mode] -File | ForEach-Object Name) }
    $rows = foreach ($i in 1..$Runs) {
        foreach ($mode in $(if ($i % 2) { 'plain', 'encrypted' } else { 'encrypted', 'plain' })) {
            $r = Backup $mode
            Get-ChildItem $repos[$mode] -File | Where-Object Name -notin $before[$mode] | Remove-Item -Force
            $r
        }
    }
    $rows | Format-Table -AutoSize | Out-String | Write-Host
    $p = Median ($rows | Where-Object Mode -eq 'plain' | ForEach-Object Seconds)
    $e = Median ($rows | Where-Object Mode -eq 'encrypted' | ForEach-Object Seconds)
    Write-Host ("incremental after churn (median of {0}, -VerificationLevel {1}): plain {2} s, encrypted {3} s, ratio {4:N3}" -f $Runs, $Level, $p, $e, ($e / $p))
    Write-Host ("first snapshot: plain {0} s, encrypted {1} s, ratio {2:N3}" -f $first[1].Seconds, $first[0].Seconds, ($first[0].Seconds / $first[1].Seconds))
}
finally { Remove-Item -Recurse -Force $dir }
