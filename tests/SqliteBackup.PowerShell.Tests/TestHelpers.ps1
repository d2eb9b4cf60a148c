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
        [pscustomobject]@{ Output = $output; Progress = @($ps.Streams.Progress); Errors = @($ps.Streams.Error); Verbose = @($ps.Streams.Verbose) }
    }
    finally { $ps.Dispose() }
}
