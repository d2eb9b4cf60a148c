<#
.SYNOPSIS
    Encrypted New-SqliteBackup against the same backup unencrypted, in the same run, with the age program encrypting the
    same compressed file as the reference row.
.DESCRIPTION
    Backs up -Database (default bench/data/bench-1024.db) Runs times each, alternating: plain (zstd) and encrypted
    (zstd + age to one recipient, the writer's own key), both with -VerificationLevel None so that only the write path
    is timed. Then times `age -r` on the plain backup's compressed file. Prints one row per run and the ratio of the
    medians. Run from the repository after ./build.ps1 -Task Build, under flock /tmp/sqlitebackup-build.lock.
#>
param([string] $Database = (Join-Path $PSScriptRoot 'data/bench-1024.db'), [int] $Runs = 3,
    [string] $Module = (Join-Path $PSScriptRoot '../out/SqliteBackup/SqliteBackup.psd1'))
$ErrorActionPreference = 'Stop'
Import-Module $Module -Force
$dir = Join-Path ([IO.Path]::GetTempPath()) ("encbench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $dir | Out-Null
try {
    $key = New-SqliteBackupKey (Join-Path $dir 'key.txt')
    $rows = foreach ($i in 1..$Runs) {
        foreach ($mode in 'plain', 'encrypted') {
            $out = Join-Path $dir "$mode-$i"
            $sw = [Diagnostics.Stopwatch]::StartNew()
            if ($mode -eq 'plain') { $b = New-SqliteBackup -LiteralPath $Database -BackupPath $out -VerificationLevel None }
            else { $b = New-SqliteBackup -LiteralPath $Database -BackupPath $out -VerificationLevel None -Recipient $key.Recipient -IdentityFile $key.Path }
            [pscustomobject]@{ Run = "$mode $i"; Mode = $mode; Seconds = [math]::Round($sw.Elapsed.TotalSeconds, 2); StoredMiB = [math]::Round($b.Manifest.StoredSize / 1MB, 0); File = $b.Path }
            if ($i -lt $Runs -and $mode -eq 'encrypted') { Remove-Item -Recurse -Force $out }
        }
    }
    $rows | Select-Object Run, Seconds, StoredMiB | Format-Table -AutoSize | Out-String | Write-Host
    function Median($xs) { $s = @($xs | Sort-Object); $s[[int][math]::Floor($s.Count / 2)] }
    $p = Median ($rows | Where-Object Mode -eq 'plain' | ForEach-Object Seconds)
    $e = Median ($rows | Where-Object Mode -eq 'encrypted' | ForEach-Object Seconds)
    Write-Host ("median plain {0} s, encrypted {1} s, ratio {2:N3}" -f $p, $e, ($e / $p))
    $compressed = ($rows | Where-Object Mode -eq 'plain' | Select-Object -Last 1).File
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & age -r $key.Recipient -o (Join-Path $dir 'ref.age') $compressed
    Write-Host ("age -r on the same compressed file ({0:N0} MiB): {1:N2} s" -f ((Get-Item $compressed).Length / 1MB), $sw.Elapsed.TotalSeconds)
}
finally { Remove-Item -Recurse -Force $dir }
