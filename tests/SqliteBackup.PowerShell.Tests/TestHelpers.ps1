# Dot-sourced by every *.Tests.ps1 in BeforeAll: imports the BUILT module (never the sources) and small helpers.
$script:ModulePath = if ($env:SQLITEBACKUP_MODULE) { $env:SQLITEBACKUP_MODULE } else { Join-Path $PSScriptRoot '../../out/SqliteBackup/SqliteBackup.psd1' }
Import-Module $script:ModulePath -Force -ErrorAction Stop
# Microsoft.Data.Sqlite loads lazily; tests that use its types directly need it loaded first.
Add-Type -Path (Join-Path (Get-Module SqliteBackup).ModuleBase 'Microsoft.Data.Sqlite.dll')

# $TestDrive is shared by every It of a Describe: each test takes its own folder.
function New-TestFolder {
    $path = Join-Path $TestDrive ([guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $path | Out-Null
    return $path
}

function Invoke-Sql([string] $Database, [string] $Sql) {
    $c = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$Database;Pooling=False")
    try {
        $c.Open()
        $cmd = $c.CreateCommand()
        $cmd.CommandText = $Sql
        return $cmd.ExecuteScalar()
    }
    finally { $c.Dispose() }
}

# A database far below 1 KB once compressed, for the Size filters.
function New-TinyDatabase([string] $Path) {
    Invoke-Sql $Path 'CREATE TABLE t (x); INSERT INTO t VALUES (1);' | Out-Null
    Get-Item $Path
}

# Runs a script in a fresh runspace and returns its streams, for what Pester cannot redirect (progress).
function Invoke-InRunspace([string] $Script) {
    $ps = [powershell]::Create()
    try {
        $null = $ps.AddScript("Import-Module '$script:ModulePath'; `$ProgressPreference = 'Continue'; $Script")
        $output = $ps.Invoke()
        [pscustomobject]@{ Output = $output; Progress = @($ps.Streams.Progress); Errors = @($ps.Streams.Error); Verbose = @($ps.Streams.Verbose); Debug = @($ps.Streams.Debug); Warning = @($ps.Streams.Warning) }
    }
    finally { $ps.Dispose() }
}

# Rotation needs backups spread over time: rewrite a real backup's creation time in its manifest.
function Set-BackupCreated($Backup, [datetime] $Utc) {
    $json = Get-Content -Raw $Backup.ManifestPath
    $json = $json -replace '"createdUtc":\s*"[^"]*"', ('"createdUtc": "{0:yyyy-MM-ddTHH:mm:ss.fffffffZ}"' -f $Utc.ToUniversalTime())
    [IO.File]::WriteAllText($Backup.ManifestPath, $json)
}

# n real backups of one database, one a day, newest at $Newest, oldest first.
function New-DailyBackups([string] $Database, [string] $Destination, [int] $Count, [datetime] $Newest, [string] $Type = 'Automatic') {
    $made = 1..$Count | ForEach-Object { New-SqliteBackup $Database -Destination $Destination -Type $Type -Verify None }
    for ($i = 0; $i -lt $Count; $i++) { Set-BackupCreated $made[$i] $Newest.AddDays($i - $Count + 1) }
    Get-SqliteBackup $Destination -Database ([IO.Path]::GetFileNameWithoutExtension($Database))
}
