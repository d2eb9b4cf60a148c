# Helpers shared by the benchmark scripts (dot-sourced; never part of a test pass).

function Median($values) { $s = @($values | Sort-Object); if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }

# The command line that starts a child pwsh: works for pwsh installed natively and for pwsh run by dotnet as a tool.
function Get-BenchPwsh {
    $pwsh = @([Environment]::ProcessPath)
    if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
    $pwsh
}

function New-BenchDatabase([string] $Path, [int] $SizeMiB) {
    # Rows of mixed text: compressible like real application data, not random bytes.
    Write-Host "Generating a $SizeMiB MiB WAL-mode database at $Path ..."
    Remove-Item "$Path*" -Force -ErrorAction SilentlyContinue
    $rows = [int]($SizeMiB * 1MB / 450)
    $sql = @"
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, notes TEXT, balance REAL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), placed_at TEXT, status TEXT, lines TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $([int]($rows / 4)))
INSERT INTO customers SELECT i, 'Customer ' || i, 'customer' || i || '@example.com',
  'Prefers delivery on ' || (CASE i % 5 WHEN 0 THEN 'Monday' WHEN 1 THEN 'Tuesday' WHEN 2 THEN 'Wednesday' WHEN 3 THEN 'Thursday' ELSE 'Friday' END) || '. ' || hex(randomblob(40)),
  (i * 37 % 10000) / 100.0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO orders SELECT i, 1 + i % $([int]($rows / 4)), datetime(1700000000 + i * 60, 'unixepoch'),
  CASE i % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped' ELSE 'delivered' END,
  '[{"sku":"SKU-' || (i % 997) || '","qty":' || (1 + i % 5) || ',"price":' || (i % 300) || '.99},{"sku":"SKU-' || (i % 131) || '","qty":1,"price":9.99}] ' || hex(randomblob(120)) FROM n;
CREATE INDEX orders_customer ON orders(customer_id);
PRAGMA wal_checkpoint(TRUNCATE);
"@
    $sql | sqlite3 $Path
    if ($LASTEXITCODE) { throw 'generating the database failed' }
}

# A writer in another process (Measure-CommitLatency.ps1) commits every 5 ms: its latencies alone (-AloneSeconds) or
# while $During runs in this process.
function Measure-Writer([string] $ModulePath, [string] $Database, [string] $DataPath, [scriptblock] $During, [int] $AloneSeconds) {
    $pwsh = Get-BenchPwsh
    $lat = Join-Path $DataPath 'latency.txt'; $stop = Join-Path $DataPath 'stop-writer'
    Remove-Item $lat, $stop -ErrorAction SilentlyContinue
    $writerArgs = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'Measure-CommitLatency.ps1'),
        '-ModulePath', $ModulePath, '-Database', $Database, '-OutFile', $lat, '-StopFile', $stop)
    $proc = Start-Process -FilePath $pwsh[0] -ArgumentList $writerArgs -PassThru -NoNewWindow
    while (-not (Test-Path $lat)) { Start-Sleep -Milliseconds 50 }
    Start-Sleep -Seconds 1
    $clock = [Diagnostics.Stopwatch]::StartNew()
    if ($During) { & $During } else { Start-Sleep -Seconds $AloneSeconds }
    $clock.Stop()
    Set-Content $stop ''
    $proc.WaitForExit()
    $values = Get-Content $lat | Where-Object { $_ } | ForEach-Object { [double]::Parse($_, [cultureinfo]::InvariantCulture) }
    Remove-Item $lat, $stop -ErrorAction SilentlyContinue
    $sorted = @($values | Sort-Object)
    [pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; Count = $sorted.Count; P50 = $sorted[[int]($sorted.Count * 0.5)]; P99 = $sorted[[int][math]::Min($sorted.Count - 1, [math]::Floor($sorted.Count * 0.99))]; Max = $sorted[-1]; Values = $sorted }
}
