<#
.SYNOPSIS
    One "day" of application writes on a bench database (bench/BenchCommon.ps1's orders/customers schema), in its own
    process: scattered order updates, customer updates, order inserts and deletes, committed in small transactions
    through the WAL as an application would. The same -Seed on the same database gives the same pages changed.
.DESCRIPTION
    -Operations is what the caller calibrates (Measure-Incremental.ps1 counts the pages that really changed and scales
    the next day's count), so this script only has to be deterministic and plausible:
      55 % update one order's status and lines (same length, so the row stays on its page),
      15 % update one customer's balance and notes,
      15 % insert an order for a random customer (the table grows at its end, the customer index anywhere),
      15 % delete a random order (its table page and its index page).
    Random ids land on the next existing row, so deleted rows do not turn operations into no-ops.
.EXAMPLE
    ./bench/Invoke-Churn.ps1 -ModulePath out/SqliteBackup/SqliteBackup.psd1 -Database bench/data/incremental/storage.db -Operations 500 -Seed 7
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Database,
    [Parameter(Mandatory)] [ValidateRange(0, 100000000)] [int] $Operations,
    [int] $Seed = 12,
    [ValidateRange(1, 100000)] [int] $OperationsPerTransaction = 10
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Add-Type -Path (Join-Path (Split-Path (Resolve-Path $ModulePath).Path) 'Microsoft.Data.Sqlite.dll')
$random = [Random]::new($Seed)
function Get-Hex([int] $bytes) { $b = [byte[]]::new($bytes); $random.NextBytes($b); [Convert]::ToHexString($b) }

$c = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$((Resolve-Path $Database).Path);Pooling=False;Default Timeout=60")
$c.Open()
function New-Command([string] $sql, [string[]] $names) {
    $cmd = $c.CreateCommand(); $cmd.CommandText = $sql
    foreach ($n in $names) { $null = $cmd.Parameters.AddWithValue($n, [DBNull]::Value) }
    $cmd
}
$q = $c.CreateCommand(); $q.CommandText = 'PRAGMA busy_timeout=60000; SELECT max(id) FROM orders;'
$maxOrder = [long]$q.ExecuteScalar()
$q.CommandText = 'SELECT max(id) FROM customers;'
$maxCustomer = [long]$q.ExecuteScalar()
$status = 'new', 'paid', 'shipped', 'delivered', 'returned'
$days = 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'

$updateOrder = New-Command "UPDATE orders SET status = `$s, lines = `$l WHERE id = (SELECT id FROM orders WHERE id >= `$id ORDER BY id LIMIT 1)" '$s', '$l', '$id'
$updateCustomer = New-Command "UPDATE customers SET balance = `$b, notes = `$n WHERE id = (SELECT id FROM customers WHERE id >= `$id ORDER BY id LIMIT 1)" '$b', '$n', '$id'
$insertOrder = New-Command "INSERT INTO orders (customer_id, placed_at, status, lines) VALUES (`$c, datetime('now'), 'new', `$l)" '$c', '$l'
$deleteOrder = New-Command "DELETE FROM orders WHERE id = (SELECT id FROM orders WHERE id >= `$id ORDER BY id LIMIT 1)" '$id'
function Get-Lines { '[{"sku":"SKU-' + $random.Next(997) + '","qty":' + (1 + $random.Next(5)) + ',"price":' + $random.Next(300) + '.99},{"sku":"SKU-' + $random.Next(131) + '","qty":1,"price":9.99}] ' + (Get-Hex 120) }

$begin = $c.CreateCommand(); $begin.CommandText = 'BEGIN IMMEDIATE'
$commit = $c.CreateCommand(); $commit.CommandText = 'COMMIT'
for ($done = 0; $done -lt $Operations; ) {
    $null = $begin.ExecuteNonQuery()
    for ($i = 0; $i -lt $OperationsPerTransaction -and $done -lt $Operations; $i++, $done++) {
        $roll = $random.Next(100)
        if ($roll -lt 55) {
            $updateOrder.Parameters['$s'].Value = $status[$random.Next($status.Count)]
            $updateOrder.Parameters['$l'].Value = Get-Lines
            $updateOrder.Parameters['$id'].Value = 1 + [long]($random.NextDouble() * $maxOrder)
            $null = $updateOrder.ExecuteNonQuery()
        }
        elseif ($roll -lt 70) {
            $updateCustomer.Parameters['$b'].Value = $random.Next(1000000) / 100.0
            $updateCustomer.Parameters['$n'].Value = 'Prefers delivery on ' + $days[$random.Next(5)] + '. ' + (Get-Hex 40)
            $updateCustomer.Parameters['$id'].Value = 1 + [long]($random.NextDouble() * $maxCustomer)
            $null = $updateCustomer.ExecuteNonQuery()
        }
        elseif ($roll -lt 85) {
            $insertOrder.Parameters['$c'].Value = 1 + [long]($random.NextDouble() * $maxCustomer)
            $insertOrder.Parameters['$l'].Value = Get-Lines
            $null = $insertOrder.ExecuteNonQuery()
        }
        else {
            $deleteOrder.Parameters['$id'].Value = 1 + [long]($random.NextDouble() * $maxOrder)
            $null = $deleteOrder.ExecuteNonQuery()
        }
    }
    $null = $commit.ExecuteNonQuery()
}
$c.Dispose()
