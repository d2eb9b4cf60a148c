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

# A small tmpfs for disk-full and read-only cases: permission bits do not stop root, a full or read-only file system
# does. Needs root; returns $false (the caller skips) unless SQLITEBACKUP_REQUIRE_CLI=1 makes that a failure.
# Always pair with Dismount-TestTmpfs in a finally block.
function Mount-TestTmpfs([string] $Path, [string] $Options) {
    if (-not $IsLinux -or (& id -u) -ne '0') {
        if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'mounting a tmpfs needs root on Linux here (SQLITEBACKUP_REQUIRE_CLI=1)' }
        return $false
    }
    New-Item -ItemType Directory -Force -Path $Path | Out-Null
    & mount -t tmpfs -o $Options tmpfs $Path
    if ($LASTEXITCODE -ne 0) { throw "mount -t tmpfs -o $Options failed for $Path" }
    return $true
}

function Dismount-TestTmpfs([string] $Path) { if ($IsLinux -and (Test-Path $Path)) { & umount -l $Path 2>$null } }

# About 1 MiB raw that compresses to a few KiB: its backup fits a small disk, its decompressed copy does not. WAL, so
# the backup is read from the file and compressed on the way, with no raw copy beside it.
function New-CompressibleDatabase([string] $Path) {
    Invoke-Sql $Path "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000) INSERT INTO t SELECT i, printf('%.1000c', 'x') FROM n;" | Out-Null
    Get-Item $Path
}

# A real HTTP listener on loopback that records what it is sent and answers with a chosen status.
function Start-Hook([int] $Status = 200) {
    $port = Get-Random -Minimum 20000 -Maximum 60000
    $listener = [System.Net.HttpListener]::new()
    $listener.Prefixes.Add("http://127.0.0.1:$port/")
    $listener.Start()
    $bodies = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
    $headers = [System.Collections.Concurrent.ConcurrentQueue[object]]::new()
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($listener, $bodies, $status, $headers)
        while ($listener.IsListening) {
            try { $ctx = $listener.GetContext() } catch { return }
            $headers.Enqueue([pscustomobject]@{ ContentLength = $ctx.Request.ContentLength64; UserAgent = $ctx.Request.UserAgent; ContentType = $ctx.Request.ContentType; Chunked = $ctx.Request.Headers['Transfer-Encoding'] })
            $reader = [IO.StreamReader]::new($ctx.Request.InputStream)
            $bodies.Enqueue($reader.ReadToEnd())
            $ctx.Response.StatusCode = $status
            $ctx.Response.Close()
        }
    }).AddArgument($listener).AddArgument($bodies).AddArgument($Status).AddArgument($headers)
    $handle = $ps.BeginInvoke()
    [pscustomobject]@{ Url = "http://127.0.0.1:$port/hook/T0K3N"; Listener = $listener; Bodies = $bodies; Headers = $headers; PS = $ps }
}
function Stop-Hook($hook) { $hook.Listener.Stop(); $hook.Listener.Close(); $hook.PS.Dispose() }

# A cmdlet's parameter contract as sorted lines (dbatools style): what a script relies on, so that a rename, a lost
# alias or a changed pipeline binding fails a test instead of an admin's script. Common parameters are left out.
function Get-ParameterContract([string] $Command) {
    $cmd = Get-Command $Command
    $meta = [System.Management.Automation.CommandMetadata]::new($cmd)
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    "(command) default set: $($meta.DefaultParameterSetName); ShouldProcess: $($meta.SupportsShouldProcess); ConfirmImpact: $($meta.ConfirmImpact)"
    foreach ($p in $cmd.Parameters.Values | Where-Object { $_.Name -notin $common -or $_.Name -in 'WhatIf', 'Confirm' } | Sort-Object Name) {
        $sets = foreach ($s in $p.ParameterSets.GetEnumerator() | Sort-Object Key) {
            $a = $s.Value
            $flags = @()
            if ($a.IsMandatory) { $flags += 'mandatory' }
            if ($a.Position -ge 0) { $flags += "position $($a.Position)" }
            if ($a.ValueFromPipeline) { $flags += 'pipeline' }
            if ($a.ValueFromPipelineByPropertyName) { $flags += 'by property name' }
            "$($s.Key)" + $(if ($flags) { " (" + ($flags -join ', ') + ")" } else { '' })
        }
        $aliases = if ($p.Aliases.Count) { "; aliases " + (($p.Aliases | Sort-Object) -join ', ') } else { '' }
        "-$($p.Name) [$($p.ParameterType.Name)] in $($sets -join ' | ')$aliases"
    }
}
