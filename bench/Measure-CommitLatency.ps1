<#
.SYNOPSIS
    A writer in its own process: small committed transactions, paced, each commit's latency written to a file.
    Runs until -StopFile appears or -MaxSeconds pass.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Database,
    [Parameter(Mandatory)] [string] $OutFile,
    [Parameter(Mandatory)] [string] $StopFile,
    [int] $MaxSeconds = 600,
    [int] $PauseMs = 5
)
$ErrorActionPreference = 'Stop'
Add-Type -Path (Join-Path (Split-Path $ModulePath) 'Microsoft.Data.Sqlite.dll')
$c = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$Database;Pooling=False;Default Timeout=60")
$c.Open()
$cmd = $c.CreateCommand()
$cmd.CommandText = 'PRAGMA busy_timeout=60000; CREATE TABLE IF NOT EXISTS bench_writes (id INTEGER PRIMARY KEY, at TEXT NOT NULL, payload TEXT NOT NULL);'
$null = $cmd.ExecuteNonQuery()
$insert = $c.CreateCommand()
$insert.CommandText = "BEGIN IMMEDIATE; INSERT INTO bench_writes (at, payload) VALUES (datetime('now'), hex(randomblob(64))); COMMIT;"
$latencies = [System.Collections.Generic.List[double]]::new()
$sw = [System.Diagnostics.Stopwatch]::new()
$deadline = [DateTime]::UtcNow.AddSeconds($MaxSeconds)
# Touch the out file so the caller knows the writer is ready.
Set-Content -Path $OutFile -Value ''
while (-not (Test-Path $StopFile) -and [DateTime]::UtcNow -lt $deadline) {
    $sw.Restart()
    $null = $insert.ExecuteNonQuery()
    $latencies.Add($sw.Elapsed.TotalMilliseconds)
    Start-Sleep -Milliseconds $PauseMs
}
$c.Dispose()
Set-Content -Path $OutFile -Value ($latencies | ForEach-Object { $_.ToString([cultureinfo]::InvariantCulture) })
