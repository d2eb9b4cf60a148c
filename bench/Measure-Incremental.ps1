<#
.SYNOPSIS
    Incremental repository benchmarks (issue 12): storage over daily states against plain full backups and restic,
    the block size trade, incremental against full backup time, a writer's commit latency, and restore time.
.DESCRIPTION
    Churn: bench/Invoke-Churn.ps1 in its own pwsh process applies one "day" of scattered order/customer updates,
    inserts and deletes (seeded) in small WAL transactions. The pages that really changed are counted by comparing
    sqlite3 ".backup" images of the database before and after, page by page, and the next day's operation count is
    scaled so that about -ChurnPercent % of the pages differ; every achieved percentage is reported.

    1. Storage (-Part Storage): a generated -StorageSizeMiB MiB WAL database through -Days daily states (day 1 as
       generated, then one churn a day). On each state, in this order: New-SqliteBackup -Incremental into one
       repository per -BlockSize, a plain New-SqliteBackup into a directory, and `restic backup` of a sqlite3 ".backup"
       copy made into the same staging file every day (restic sees one changing file at one path; its repository's
       password comes from RESTIC_PASSWORD, generated for the run when unset). Reported: each store's total bytes
       after the last day against one compressed full backup of the last state, per-day increments (min, median,
       max), each block size's backup time per day (median) and the restore time of its last snapshot against the
       restore of the last plain backup.
    2. Time (-Part Time): -Database (1 GiB; generated as Invoke-Benchmarks.ps1 does when missing) is copied, a first
       snapshot is taken, one day of churn is applied, then -Runs interleaved runs (after a warm-up) of an incremental
       backup and a plain full backup, both at -VerificationLevel Standard and at Quick, in this process. Every
       incremental run is undone (the objects it added are deleted, the pack hash ledger kept, as between two days)
       so each one adds the same churned day.
    3. Restore (-Part Restore): Restore-SqliteBackup of the churned state's snapshot against that of its plain backup.
    4. Latency (-Part Latency): bench/Measure-CommitLatency.ps1 commits every 5 ms in another process: alone, during a
       plain full backup (-VerificationLevel Quick) and during an incremental backup (Quick and Standard), in -Runs
       interleaved rounds whose commits are pooled per phase.

    Without New-SqliteBackup -Incremental (module built before the repository landed) the incremental rows say
    "pending" and everything else is measured. Needs sqlite3 on PATH and restic (installed with apt-get when missing,
    which the script says). Everything generated stays under -DataPath (bench/data, git-ignored).
    Returns the markdown section for docs/benchmarks.md (or writes it to -ReportPath).
.EXAMPLE
    ./bench/Measure-Incremental.ps1 -ModulePath out/SqliteBackup/SqliteBackup.psd1 -StorageSizeMiB 16 -Days 3 -SizeMiB 32 -Runs 1
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    # The database of the time, restore and latency parts; generated with -SizeMiB when missing. Never modified:
    # the parts work on a copy.
    [string] $Database,
    [int] $SizeMiB = 1024,
    [int] $StorageSizeMiB = 256,
    [ValidateRange(1, 366)] [int] $Days = 30,
    [ValidateRange(512, 1048576)] [int[]] $BlockSize = @(4096, 16384, 65536),
    [double] $ChurnPercent = 1,
    [int] $Seed = 12,
    [ValidateRange(1, 100)] [int] $Runs = 3,
    [string] $DataPath = (Join-Path $PSScriptRoot 'data'),
    [string] $ReportPath,
    [ValidateSet('Storage', 'Time', 'Restore', 'Latency')] [string[]] $Part = @('Storage', 'Time', 'Restore', 'Latency')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath
$ProgressPreference = 'SilentlyContinue'
if (-not (Get-Command sqlite3 -ErrorAction SilentlyContinue)) { throw "The benchmark needs 'sqlite3' on PATH (Debian: apt-get install sqlite3)." }
$pwsh = Get-BenchPwsh
New-Item -ItemType Directory -Force -Path $DataPath | Out-Null
$DataPath = (Resolve-Path $DataPath).Path
if (-not $Database) { $Database = Join-Path $DataPath "bench-$SizeMiB.db" }
$work = Join-Path $DataPath 'incremental'
$newBackup = Get-Command New-SqliteBackup
$hasIncremental = $newBackup.Parameters.ContainsKey('Incremental')
$hasBlockSize = $newBackup.Parameters.ContainsKey('BlockSize')
$pending = 'pending: this module has no New-SqliteBackup -Incremental yet'
$started = Get-Date

Add-Type -TypeDefinition @'
using System;
using System.IO;
public static class BenchPageDiff
{
    // Pages of `after` that differ from the same page of `before` (or that `before` does not have), by byte comparison.
    public static long[] Count(string before, string after)
    {
        using var a = new FileStream(before, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        using var b = new FileStream(after, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        var header = new byte[100];
        b.ReadExactly(header);
        b.Position = 0;
        int pageSize = (header[16] << 8) | header[17];
        if (pageSize == 1) pageSize = 65536;
        var pa = new byte[pageSize];
        var pb = new byte[pageSize];
        long pages = b.Length / pageSize, changed = 0;
        for (long i = 0; i < pages; i++)
        {
            b.ReadExactly(pb);
            int got = a.ReadAtLeast(pa, pageSize, throwOnEndOfStream: false);
            if (got < pageSize || !pa.AsSpan().SequenceEqual(pb)) changed++;
        }
        return new[] { changed, pages, pageSize };
    }
}
'@

function Copy-Consistent([string] $from, [string] $to) {
    Remove-Item "$to*" -Force -ErrorAction Ignore
    sqlite3 $from ".backup '$to'"
    if ($LASTEXITCODE) { throw "sqlite3 .backup of $from failed" }
}
# What a store holds: every file under it, except the module's own log beside the backups.
function Get-Bytes([string] $dir) {
    if (-not (Test-Path $dir)) { return [long]0 }
    [long](Get-ChildItem -LiteralPath $dir -Recurse -File -Force | Where-Object Name -notlike '*sqlitebackup-log.jsonl*' | Measure-Object -Property Length -Sum).Sum
}
function Measure-Seconds([scriptblock] $block) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & $block | Out-Null
    $sw.Stop()
    $sw.Elapsed.TotalSeconds
}
function Invoke-Churn([string] $db, [int] $operations, [int] $seed) {
    $rest = @($pwsh | Select-Object -Skip 1)
    & $pwsh[0] @rest -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'Invoke-Churn.ps1') -ModulePath $ModulePath -Database $db -Operations $operations -Seed $seed | Out-Host
    if ($LASTEXITCODE) { throw "Invoke-Churn.ps1 failed with exit code $LASTEXITCODE" }
}
function New-Incremental([string] $db, [string] $repo, [int] $blockSize, [string] $level = 'Standard') {
    $p = @{ LiteralPath = $db; BackupPath = $repo; Incremental = $true; VerificationLevel = $level }
    if ($blockSize -and $hasBlockSize) { $p.BlockSize = $blockSize }
    $b = New-SqliteBackup @p
    if (-not $b) { throw "New-SqliteBackup -Incremental of $db into $repo returned nothing" }
    $b
}
# Undoes an incremental backup: deletes the objects it added (its manifest, packs and indexes), so the next run
# adds the same blocks again. The repository's pack hash ledger stays, as it does from one day's backup to the next.
function Undo-Objects([string] $dir, [string[]] $before) {
    Get-ChildItem -LiteralPath $dir -File | Where-Object { $_.Name -notin $before -and $_.Name -ne 'sqlitebackup-pack-hashes.json' } | Remove-Item -Force
}
function Get-Names([string] $dir) { @(Get-ChildItem -LiteralPath $dir -File -ErrorAction Ignore | ForEach-Object Name) }
# The latest backup of a location restored into a fresh file: seconds, or the reason it could not.
function Measure-Restore([string] $location, [string] $dest) {
    Remove-Item "$dest*" -Force -ErrorAction Ignore
    $b = @(Get-SqliteBackup -LiteralPath $location -Latest 1)
    if ($b.Count -ne 1) { throw "Get-SqliteBackup lists no backup in $(Split-Path -Leaf $location)" }
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $b[0] | Restore-SqliteBackup -Destination $dest -Force -Confirm:$false | Out-Null
    $sw.Stop()
    $sw.Elapsed.TotalSeconds
}
# Until Restore-SqliteBackup restores snapshots: the Core reassembly it will call (SnapshotReader), of the newest
# snapshot manifest, into a fresh file. Less than a restore does (no quick_check, no rename into place): said in the report.
function Measure-Reassembly([string] $repo, [string] $dest) {
    Remove-Item "$dest*" -Force -ErrorAction Ignore
    $m = Get-ChildItem -LiteralPath $repo -Filter '*.snapshot.manifest.json' | Sort-Object LastWriteTimeUtc | Select-Object -Last 1
    $problem = $null
    $manifest = [SqliteBackup.Core.Format.BackupManifest]::TryParse([IO.File]::ReadAllBytes($m.FullName), [ref] $problem)
    if (-not $manifest) { throw "$($m.Name): $problem" }
    $store = [SqliteBackup.Core.Storage.StoreRegistry]::Open($repo)
    try {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        [SqliteBackup.Core.Repository.SnapshotReader]::Reassemble($store, $manifest, $dest, $null, [Threading.CancellationToken]::None)
        $sw.Stop()
    }
    finally { $store.Dispose() }
    $sw.Elapsed.TotalSeconds
}
# Restore of a snapshot, or its reassembly when the module cannot restore snapshots yet ($script:reassemblyNote says so).
$script:reassemblyNote = ''
function Measure-SnapshotRestore([string] $repo, [string] $dest) {
    if (-not $script:reassemblyNote) {
        try { return Measure-Restore $repo $dest }
        catch {
            if (-not ('SqliteBackup.Core.Repository.SnapshotReader' -as [type])) { throw }
            $script:reassemblyNote = "Restore-SqliteBackup could not restore a snapshot with this module ($($_.Exception.Message)); timed instead: the Core reassembly it will use (SnapshotReader.Reassemble into a new file, every block and the image's SHA-256 checked, no quick_check)"
            Write-Host $script:reassemblyNote
        }
    }
    Measure-Reassembly $repo $dest
}
function Install-Restic {
    if (Get-Command restic -ErrorAction SilentlyContinue) { return }
    Write-Host 'restic is not installed: installing the Debian package restic with apt-get ...'
    $env:DEBIAN_FRONTEND = 'noninteractive'; apt-get install -y -qq restic | Out-Host
    if ($LASTEXITCODE -or -not (Get-Command restic -ErrorAction SilentlyContinue)) { throw 'apt-get install restic failed; install restic and run again.' }
}
$verdict = { param($ok) if ($ok) { 'met' } else { '**not met**' } }
$pct = { param($v) '{0:N2} %' -f $v }
# Operations per changed page: the first guess, then what the last day measured.
$pagesPerOperation = 1.3

$sections = [System.Collections.Generic.List[string]]::new()

# ---------------------------------------------------------------- 1. Storage over daily states
if ('Storage' -in $Part) {
    Install-Restic
    $dir = Join-Path $work 'storage'
    if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    New-Item -ItemType Directory -Path $dir | Out-Null
    $base = Join-Path $DataPath "incremental-base-$StorageSizeMiB.db"
    if (-not (Test-Path $base) -or (Get-Item $base).Length -lt $StorageSizeMiB * 1MB * 0.9) { New-BenchDatabase $base $StorageSizeMiB }
    $db = Join-Path $dir 'app.db'
    Copy-Item $base $db
    sqlite3 $db 'PRAGMA journal_mode=WAL;' | Out-Null
    $staging = Join-Path $dir 'staging/app.db'; $previous = Join-Path $dir 'previous.db'
    New-Item -ItemType Directory -Path (Split-Path $staging) | Out-Null
    $plain = Join-Path $dir 'plain'
    $restic = Join-Path $dir 'restic'
    $repos = @{}
    foreach ($bs in $BlockSize) { $repos[$bs] = Join-Path $dir "repo-$bs" }
    $generatedPassword = -not $env:RESTIC_PASSWORD
    if ($generatedPassword) { $env:RESTIC_PASSWORD = [Guid]::NewGuid().ToString('n') }
    $env:RESTIC_REPOSITORY = $restic
    restic init --quiet | Out-Host
    if ($LASTEXITCODE) { throw 'restic init failed' }
    $resticVersion = ((restic version) -split ' ')[1]
    $resticFormat = (restic cat config --quiet | ConvertFrom-Json).version
    $history = [System.Collections.Generic.List[object]]::new()
    $operations = 0
    for ($d = 1; $d -le $Days; $d++) {
        $row = [ordered]@{ Day = $d; Operations = 0; ChangedPercent = $null }
        if ($d -gt 1) {
            $pages = (Get-Item $db).Length / 4096
            $operations = [int][math]::Max(1, [math]::Round($pages * $ChurnPercent / 100 / $pagesPerOperation))
            $row.Operations = $operations
            Invoke-Churn $db $operations ($Seed * 1000 + $d)
            Move-Item $staging $previous -Force
        }
        Copy-Consistent $db $staging
        if ($d -gt 1) {
            $diff = [BenchPageDiff]::Count($previous, $staging)
            $row.ChangedPercent = 100.0 * $diff[0] / $diff[1]
            if ($diff[0] -gt 0) { $script:pagesPerOperation = $diff[0] / $operations }
        }
        foreach ($bs in $BlockSize) {
            if (-not $hasIncremental) { continue }
            $before = Get-Bytes $repos[$bs]
            $row["Seconds$bs"] = Measure-Seconds { New-Incremental $db $repos[$bs] $bs }
            $row["Added$bs"] = (Get-Bytes $repos[$bs]) - $before
        }
        $before = Get-Bytes $plain
        $row.PlainSeconds = Measure-Seconds { New-SqliteBackup -LiteralPath $db -BackupPath $plain }
        $row.PlainAdded = (Get-Bytes $plain) - $before
        $before = Get-Bytes $restic
        $row.ResticSeconds = Measure-Seconds { restic backup --quiet --host bench $staging | Out-Host; if ($LASTEXITCODE) { throw 'restic backup failed' } }
        $row.ResticAdded = (Get-Bytes $restic) - $before
        $history.Add([pscustomobject]$row)
        Write-Host ("day {0,3}: {1,6} operations, {2,-9} pages changed; plain +{3:N0} B; restic +{4:N0} B{5}" -f $d, $row.Operations,
            $(if ($null -ne $row.ChangedPercent) { & $pct $row.ChangedPercent } else { '-' }), $row.PlainAdded, $row.ResticAdded,
            (($BlockSize | Where-Object { $hasIncremental } | ForEach-Object { "; $_ +{0:N0} B {1:N1} s" -f $row["Added$_"], $row["Seconds$_"] }) -join ''))
    }
    $lastFull = (Get-ChildItem $plain -File -Filter '*.db.zst' | Sort-Object LastWriteTimeUtc | Select-Object -Last 1).Length
    $plainTotal = Get-Bytes $plain
    $resticTotal = Get-Bytes $restic
    $dbBytes = (Get-Item $db).Length
    $churned = @($history | Where-Object { $null -ne $_.ChangedPercent } | ForEach-Object ChangedPercent)
    $stats = { param($values) $v = @($values); if ($v.Count) { '{0:N0} / {1:N0} / {2:N0}' -f ($v | Measure-Object -Minimum).Minimum, (Median $v), ($v | Measure-Object -Maximum).Maximum } else { '-' } }
    $later = @($history | Where-Object Day -gt 1)

    # Restore of each repository's last snapshot against the last plain backup.
    $restore = @{}
    $restoreNote = ''
    $restoreDest = Join-Path $dir 'restored.db'
    $plainRestore = [System.Collections.Generic.List[double]]::new()
    foreach ($bs in $BlockSize) { $restore[$bs] = [System.Collections.Generic.List[double]]::new() }
    for ($r = 0; $r -le $Runs; $r++) {
        $t = Measure-Restore $plain $restoreDest
        if ($r) { $plainRestore.Add($t) }
        foreach ($bs in $BlockSize) {
            if (-not $hasIncremental -or $restoreNote) { continue }
            try { $t = Measure-SnapshotRestore $repos[$bs] $restoreDest; if ($r) { $restore[$bs].Add($t) } }
            catch { $restoreNote = "restore of a snapshot failed: $($_.Exception.Message)" }
        }
    }
    Remove-Item "$restoreDest*" -Force -ErrorAction Ignore
    $plainRestoreMed = Median $plainRestore

    $storageRows = [System.Collections.Generic.List[string]]::new()
    foreach ($bs in $BlockSize) {
        if (-not $hasIncremental) { $storageRows.Add("| New-SqliteBackup -Incremental -BlockSize $bs | $pending | | | | |"); continue }
        $total = Get-Bytes $repos[$bs]
        $storageRows.Add(("| New-SqliteBackup -Incremental -BlockSize $bs | {0:N0} | {1:N2}x | {2} | {3:N0} | {4:N2} |" -f $total, ($total / $lastFull), (& $stats ($later | ForEach-Object { $_."Added$bs" })), $history[0]."Added$bs", (Median ($later | ForEach-Object { $_."Seconds$bs" }))))
    }
    $storageRows.Add(("| restic $resticVersion (repository format $resticFormat) | {0:N0} | {1:N2}x | {2} | {3:N0} | {4:N2} |" -f $resticTotal, ($resticTotal / $lastFull), (& $stats ($later | ForEach-Object ResticAdded)), $history[0].ResticAdded, (Median ($later | ForEach-Object ResticSeconds))))
    $storageRows.Add(("| plain New-SqliteBackup (zstd), one per day | {0:N0} | {1:N2}x | {2} | {3:N0} | {4:N2} |" -f $plainTotal, ($plainTotal / $lastFull), (& $stats ($later | ForEach-Object PlainAdded)), $history[0].PlainAdded, (Median ($later | ForEach-Object PlainSeconds))))

    $tradeRows = foreach ($bs in $BlockSize) {
        if (-not $hasIncremental) { "| $bs | $pending | | | |"; continue }
        $total = Get-Bytes $repos[$bs]
        $restoreCell = if ($restore[$bs].Count) { '{0:N2} ({1:N2}x plain)' -f (Median $restore[$bs]), ((Median $restore[$bs]) / $plainRestoreMed) } else { "pending ($restoreNote)" }
        "| $bs | {0:N0} | {1:N2}x | {2:N2} / {3:N2} | {4} |" -f $total, ($total / $lastFull), (Median ($later | ForEach-Object { $_."Seconds$bs" })), ($history[0]."Seconds$bs"), $restoreCell
    }
    $firstBs = $BlockSize[0]
    $storageTarget = if ($hasIncremental) {
        $ratio = (Get-Bytes $repos[$firstBs]) / $lastFull
        "- Target ""30 daily snapshots in at most 1.6x one compressed full"" (-BlockSize $firstBs): {0:N2}x ($(& $verdict ($ratio -le 1.6)))." -f $ratio
    } else { "- Target ""30 daily snapshots in at most 1.6x one compressed full"": $pending." }
    $sections.Add(@"
### Storage: $Days daily states of a $StorageSizeMiB MiB WAL database

The database ($('{0:N0}' -f $dbBytes) bytes after the last day) is generated as above; day 1 is as generated, each
later day first gets one churn from ``bench/Invoke-Churn.ps1`` in another process (seed $Seed): scattered order and
customer updates, order inserts and deletes in transactions of 10. Pages changed per day, counted on sqlite3 ``.backup``
images before and after: $(if ($churned.Count) { 'min {0} / median {1} / max {2} (target {3}), {4:N0} to {5:N0} operations a day' -f (& $pct ($churned | Measure-Object -Minimum).Minimum), (& $pct (Median $churned)), (& $pct ($churned | Measure-Object -Maximum).Maximum), (& $pct $ChurnPercent), ($later | ForEach-Object Operations | Measure-Object -Minimum).Minimum, ($later | ForEach-Object Operations | Measure-Object -Maximum).Maximum } else { '(one day only)' }).
On each state, in one run: New-SqliteBackup -Incremental (default Standard verification) into one repository per block
size, a plain New-SqliteBackup into a directory, and ``restic backup`` of a sqlite3 ``.backup`` copy of the state written
to the same staging path every day. One compressed full backup (the plain backup of the last state): $('{0:N0}' -f $lastFull) bytes.

| store | total bytes after $Days days | vs one compressed full | per-day increment bytes, days 2-$Days (min / median / max) | day 1 bytes | backup s, median of days 2-$Days |
|---|---:|---:|---:|---:|---:|
$($storageRows -join "`n")

$storageTarget

#### Block size

The same run. Backup seconds per day are the median of days 2-$Days and day 1 (the whole database); restore is
Restore-SqliteBackup of the last snapshot into a new file, median of $Runs runs after a warm-up, against the same for
the last plain backup ($('{0:N2}' -f $plainRestoreMed) s).

| -BlockSize | repository bytes | vs one compressed full | backup s (median day / day 1) | restore s |
|---:|---:|---:|---:|---:|
$($tradeRows -join "`n")
$(if ($reassemblyNote) { "`n- Restore column: $reassemblyNote." })
$(if ('SqliteBackup.Core.Repository.RepositoryConfig' -as [type]) { "- The module's default (-BlockSize omitted): $([SqliteBackup.Core.Repository.RepositoryConfig]::DefaultBlockSize) bytes." })
"@)
    if ($generatedPassword) { Remove-Item Env:RESTIC_PASSWORD }
    Remove-Item Env:RESTIC_REPOSITORY
    # About 30 plain backups, four repositories and staging copies: gigabytes on a shared disk.
    Remove-Item $dir -Recurse -Force
}

# ---------------------------------------------------------------- 2-4. The 1 GiB database after one day of churn
if ($Part | Where-Object { $_ -in 'Time', 'Restore', 'Latency' }) {
    if (-not (Test-Path $Database) -or (Get-Item $Database).Length -lt $SizeMiB * 1MB * 0.9) { New-BenchDatabase $Database $SizeMiB }
    $dir = Join-Path $work 'large'
    if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    New-Item -ItemType Directory -Path $dir | Out-Null
    $db = Join-Path $dir 'app.db'
    $beforeImage = Join-Path $dir 'before.db'; $afterImage = Join-Path $dir 'after.db'
    Copy-Consistent $Database $db
    sqlite3 $db 'PRAGMA journal_mode=WAL;' | Out-Null
    Copy-Item $db $beforeImage
    $repo = Join-Path $dir 'repo'; $full = Join-Path $dir 'full'
    if ($hasIncremental) { New-Incremental $db $repo 0 | Out-Null }
    $pages = (Get-Item $db).Length / 4096
    $operations = [int][math]::Max(1, [math]::Round($pages * $ChurnPercent / 100 / $pagesPerOperation))
    Invoke-Churn $db $operations ($Seed * 1000 + 999)
    Copy-Consistent $db $afterImage
    $diff = [BenchPageDiff]::Count($beforeImage, $afterImage)
    Remove-Item $beforeImage, $afterImage -Force
    $largeChurn = 100.0 * $diff[0] / $diff[1]
    $largeBytes = (Get-Item $db).Length
    Write-Host ("1 GiB part: {0:N0} bytes, {1:N0} operations changed {2}" -f $largeBytes, $operations, (& $pct $largeChurn))
    $largeIntro = "The database of the sections above copied with sqlite3 ``.backup`` ($('{0:N0}' -f $largeBytes) bytes), a first snapshot taken, then one day of churn ($('{0:N0}' -f $operations) operations, $(& $pct $largeChurn) of the pages changed)."
    $sections.Add("### The $SizeMiB MiB database after one day of churn`n`n$largeIntro")

    if ('Time' -in $Part) {
        $times = [ordered]@{}
        foreach ($level in 'Standard', 'Quick') { $times["incremental $level"] = [System.Collections.Generic.List[double]]::new(); $times["full $level"] = [System.Collections.Generic.List[double]]::new() }
        for ($r = 0; $r -le $Runs; $r++) {
            foreach ($level in 'Standard', 'Quick') {
                if ($hasIncremental) {
                    $names = Get-Names $repo
                    $t = Measure-Seconds { New-Incremental $db $repo 0 $level }
                    Undo-Objects $repo $names
                    if ($r) { $times["incremental $level"].Add($t) }
                }
                if (Test-Path $full) { Remove-Item $full -Recurse -Force }
                $t = Measure-Seconds { New-SqliteBackup -LiteralPath $db -BackupPath $full -VerificationLevel $level }
                if ($r) { $times["full $level"].Add($t) }
                Write-Host ("time run {0}: {1}: incremental {2} s, full {3:N2} s" -f $r, $level, $(if ($hasIncremental -and $r) { '{0:N2}' -f $times["incremental $level"][-1] } else { '-' }), $t)
            }
        }
        $timeRows = foreach ($level in 'Standard', 'Quick') {
            $f = Median $times["full $level"]
            $fullRow = "| plain New-SqliteBackup -VerificationLevel $level | {0:N2} | {1:N2} | {2:N2} | 1.00x |" -f $f, ($times["full $level"] | Measure-Object -Minimum).Minimum, ($times["full $level"] | Measure-Object -Maximum).Maximum
            if ($hasIncremental) {
                $i = Median $times["incremental $level"]
                "| New-SqliteBackup -Incremental -VerificationLevel $level | {0:N2} | {1:N2} | {2:N2} | {3:N2}x ($(& $verdict ($i / $f -le 0.5))) |" -f $i, ($times["incremental $level"] | Measure-Object -Minimum).Minimum, ($times["incremental $level"] | Measure-Object -Maximum).Maximum, ($i / $f)
            } else { "| New-SqliteBackup -Incremental -VerificationLevel $level | $pending | | | |" }
            $fullRow
        }
        $sections.Add(@"
#### Backup time (target: incremental at most 0.5x a plain full backup, same verification level)

$Runs interleaved runs of each after a warm-up, in this pwsh (module imported once), seconds. Every incremental run adds
the churned day to the repository holding the first snapshot (its objects are deleted after the run).

| command | median s | min s | max s | vs plain, same level |
|---|---:|---:|---:|---:|
$($timeRows -join "`n")
"@)
    }

    if ('Restore' -in $Part) {
        $restoreRows = $null
        if (Test-Path $full) { Remove-Item $full -Recurse -Force }
        New-SqliteBackup -LiteralPath $db -BackupPath $full | Out-Null
        $note = ''
        if ($hasIncremental) {
            # The repository now holds only the first snapshot: this one is the churned state, like the plain backup.
            New-Incremental $db $repo 0 | Out-Null
        }
        $dest = Join-Path $dir 'restored.db'
        $plainTimes = [System.Collections.Generic.List[double]]::new(); $snapTimes = [System.Collections.Generic.List[double]]::new()
        for ($r = 0; $r -le $Runs; $r++) {
            $t = Measure-Restore $full $dest; if ($r) { $plainTimes.Add($t) }
            if ($hasIncremental -and -not $note) {
                try { $t = Measure-SnapshotRestore $repo $dest; if ($r) { $snapTimes.Add($t) } }
                catch { $note = "restore of a snapshot failed: $($_.Exception.Message)" }
            }
        }
        Remove-Item "$dest*" -Force -ErrorAction Ignore
        $p = Median $plainTimes
        $snapRow = if ($snapTimes.Count) {
            $s = Median $snapTimes
            $what = if ($reassemblyNote) { 'SnapshotReader.Reassemble of the snapshot (see below)' } else { 'Restore-SqliteBackup of the snapshot' }
            "| $what | {0:N2} | {1:N2} | {2:N2} | {3:N2}x ($(if ($reassemblyNote) { 'indicative' } else { & $verdict ($s / $p -le 1.3) })) |" -f $s, ($snapTimes | Measure-Object -Minimum).Minimum, ($snapTimes | Measure-Object -Maximum).Maximum, ($s / $p)
        } elseif ($hasIncremental) { "| Restore-SqliteBackup of the snapshot | pending ($note) | | | |" } else { "| Restore-SqliteBackup of the snapshot | $pending | | | |" }
        $sections.Add(@"
#### Restore (target: a snapshot at most 1.3x a plain backup of the same state)

Restore-SqliteBackup -Destination (a new file) of the churned state's snapshot and of its plain backup (zstd, Standard),
$Runs interleaved runs after a warm-up, seconds.

| command | median s | min s | max s | vs plain |
|---|---:|---:|---:|---:|
| Restore-SqliteBackup of the plain backup | $('{0:N2}' -f $p) | $('{0:N2}' -f ($plainTimes | Measure-Object -Minimum).Minimum) | $('{0:N2}' -f ($plainTimes | Measure-Object -Maximum).Maximum) | 1.00x |
$snapRow
$(if ($reassemblyNote) { "`n- $reassemblyNote. The target stays open until Restore-SqliteBackup restores snapshots." })
"@)
    }

    if ('Latency' -in $Part) {
        # One p99 of a few hundred commits is the 5th-7th slowest of them: rounds interleaved, each phase's commits pooled.
        $phases = [ordered]@{ alone = [System.Collections.Generic.List[object]]::new(); full = [System.Collections.Generic.List[object]]::new() }
        if ($hasIncremental) { $phases.incremental = [System.Collections.Generic.List[object]]::new(); $phases.incrementalStandard = [System.Collections.Generic.List[object]]::new() }
        for ($r = 1; $r -le $Runs; $r++) {
            Write-Host "Latency round $r of $Runs ..."
            $phases.alone.Add((Measure-Writer $ModulePath $db $DataPath $null 10))
            $phases.full.Add((Measure-Writer $ModulePath $db $DataPath {
                if (Test-Path $full) { Remove-Item $full -Recurse -Force }
                New-SqliteBackup -LiteralPath $db -BackupPath $full -VerificationLevel Quick | Out-Null
            } 0))
            if ($hasIncremental) {
                foreach ($level in 'Quick', 'Standard') {
                    $names = Get-Names $repo
                    $m = Measure-Writer $ModulePath $db $DataPath { New-Incremental $db $repo 0 $level | Out-Null } 0
                    Undo-Objects $repo $names
                    $phases[$(if ($level -eq 'Quick') { 'incremental' } else { 'incrementalStandard' })].Add($m)
                }
            }
            $a = $phases.alone[-1].P99
            Write-Host ("  p99 alone {0:N2} ms; plain {1:N2}x; incremental Quick {2}; Standard {3}" -f $a, ($phases.full[-1].P99 / $a),
                $(if ($hasIncremental) { '{0:N2}x' -f ($phases.incremental[-1].P99 / $a) } else { '-' }), $(if ($hasIncremental) { '{0:N2}x' -f ($phases.incrementalStandard[-1].P99 / $a) } else { '-' }))
        }
        function Get-Pooled($runs) {
            $sorted = @($runs | ForEach-Object { $_.Values } | Sort-Object)
            [pscustomobject]@{ Seconds = ($runs | Measure-Object Seconds -Sum).Sum; Count = $sorted.Count; P50 = $sorted[[int]($sorted.Count * 0.5)]
                P99 = $sorted[[int][math]::Min($sorted.Count - 1, [math]::Floor($sorted.Count * 0.99))]; Max = $sorted[-1] }
        }
        $alone = Get-Pooled $phases.alone
        $line = {
            param($name, $runs)
            $m = Get-Pooled $runs
            $each = ($(for ($i = 0; $i -lt $runs.Count; $i++) { '{0:N2}x' -f ($runs[$i].P99 / $phases.alone[$i].P99) }) -join ', ')
            "| $name | {0:N1} | {1} | {2:N2} | {3:N2} | {4:N2} | {5:N2}x | $each |" -f $m.Seconds, $m.Count, $m.P50, $m.P99, $m.Max, ($m.P99 / $alone.P99)
        }
        $incrementalLines = if ($hasIncremental) { (& $line 'during New-SqliteBackup -Incremental -VerificationLevel Quick' $phases.incremental), (& $line 'during New-SqliteBackup -Incremental -VerificationLevel Standard' $phases.incrementalStandard) -join "`n" } else { "| during New-SqliteBackup -Incremental | $pending | | | | | | |" }
        $latencyTarget = if ($hasIncremental) {
            $q = (Get-Pooled $phases.incremental).P99 / $alone.P99
            $eachQ = @(for ($i = 0; $i -lt $Runs; $i++) { $phases.incremental[$i].P99 / $phases.alone[$i].P99 })
            "- Target ""p99 during an incremental backup at most 1.5x p99 alone"" (Quick, as measured since the target was set): {0:N2}x pooled, median of the rounds {1:N2}x, {2} of {3} rounds at most 1.5x ($(& $verdict ($q -le 1.5)))." -f $q, (Median $eachQ), @($eachQ | Where-Object { $_ -le 1.5 }).Count, $Runs
        } else { "- Target ""p99 during an incremental backup at most 1.5x p99 alone"": $pending." }
        $sections.Add(@"
#### A writer in another process (target: p99 during an incremental backup at most 1.5x p99 alone)

``bench/Measure-CommitLatency.ps1`` commits one small row per transaction (BEGIN IMMEDIATE; INSERT; COMMIT; synchronous
FULL) every 5 ms on the churned database: alone (10 s), then during a plain full backup (-VerificationLevel Quick) and
during an incremental backup at Quick and at Standard (each adds to the repository holding the churned state's snapshot,
undone after), in $Runs interleaved rounds. Each phase's commits of all rounds pooled; the last column is each round's
p99 against that round's writer alone.

| phase | seconds | commits | p50 ms | p99 ms | max ms | p99 vs alone | each round |
|---|---:|---:|---:|---:|---:|---:|---|
$(& $line 'writer alone' $phases.alone)
$(& $line 'during plain New-SqliteBackup -VerificationLevel Quick' $phases.full)
$incrementalLines

$latencyTarget
"@)
    }
    Remove-Item $dir -Recurse -Force
}

$section = @"
## Incremental backups

Produced on $($started.ToUniversalTime().ToString('yyyy-MM-dd HH:mm'))-$((Get-Date).ToUniversalTime().ToString('HH:mm')) UTC by ``bench/Measure-Incremental.ps1 -StorageSizeMiB $StorageSizeMiB -Days $Days -BlockSize $($BlockSize -join ',') -ChurnPercent $ChurnPercent -Seed $Seed -Runs $Runs -Part $($Part -join ',')``
(the same section ``./build.ps1 -Task Bench`` writes), on the machine described at the top.

$($sections -join "`n`n")
"@
if ($ReportPath) { Set-Content -Path $ReportPath -Value $section }
$section
