<#
.SYNOPSIS
    Off-site copy benchmark (issue 11): Copy-SqliteBackup against `rclone copy` of the same file to the same server.
.DESCRIPTION
    For each server this machine can run (Ceph radosgw, Azurite, OpenSSH sshd; each started by the project's own
    script under tests/servers/ on free 127.0.0.1 ports and stopped afterwards):
      1. The backup of -Database (zstd, made here with New-SqliteBackup) is copied -Runs times by Copy-SqliteBackup in a
         fresh pwsh process and by `rclone copy` of the same file, interleaved, after one warm-up of each; every copy
         goes to a fresh prefix and is deleted afterwards. Whole processes are timed (pwsh start-up and module import
         included); the copy's own clock (CopyResult.Duration) is reported beside it. Peak RSS of every process comes
         from /usr/bin/time (its %M: the largest resident set the process reached).
      2. A multi-GiB backup (-LargeGiB GiB of random bytes, -Compression None, so nothing shrinks it; generated once
         into -DataPath and kept there, never in git) is copied once by each tool: the pwsh process's peak RSS must stay
         under 300 MB.
    Returns the markdown section for docs/benchmarks.md (or writes it to -ReportPath).

    Needs on PATH: rclone (Debian `rclone`, 1.60; configured here through RCLONE_CONFIG_<NAME>_<KEY> environment
    variables, no config file), /usr/bin/time (Debian `time`), sqlite3, bash, curl. Per server, skipped with the reason
    printed when missing: radosgw: tests/servers/radosgw.sh and Debian radosgw ceph-mon ceph-osd (RAM: the in-memory
    OSD holds what is stored, about -LargeGiB + 1 GiB at the peak); Azurite: tests/servers/azurite.sh and the module's
    azure:// store; sshd: tests/servers/sshd.sh, Debian openssh-server, and the module's sftp:// store.
.EXAMPLE
    ./bench/Measure-Transfer.ps1 -ModulePath out/SqliteBackup/SqliteBackup.psd1 -Database bench/data/bench-64.db -Runs 1 -LargeGiB 0
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Database,
    [ValidateRange(1, 100)] [int] $Runs = 3,
    # Size of the generated backup for the memory check; 0 skips that part.
    [double] $LargeGiB = 3,
    [string] $DataPath = (Join-Path $PSScriptRoot 'data'),
    [string] $ReportPath,
    [ValidateSet('radosgw', 'azurite', 'sshd')] [string[]] $Server = @('radosgw', 'azurite', 'sshd')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$ModulePath = (Resolve-Path $ModulePath).Path
$Database = (Resolve-Path $Database).Path
Import-Module $ModulePath
$ProgressPreference = 'SilentlyContinue'
foreach ($p in 'rclone', 'sqlite3', 'bash', 'curl') { if (-not (Get-Command $p -ErrorAction SilentlyContinue)) { throw "The transfer benchmark needs '$p' on PATH (Debian: apt-get install rclone sqlite3 curl)." } }
if (-not (Test-Path /usr/bin/time)) { throw 'The transfer benchmark needs /usr/bin/time (Debian: apt-get install time) for peak RSS.' }
$pwsh = @([Environment]::ProcessPath)
if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
$servers = Join-Path (Split-Path $PSScriptRoot) 'tests/servers'
$work = Join-Path $DataPath 'transfer'
New-Item -ItemType Directory -Force -Path $work | Out-Null

function Get-FreePort { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p }
function Median($values) { $s = @($values | Sort-Object); if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }

# key=value pairs a server script prints once it is up.
function ConvertFrom-ServerOutput([string[]] $lines) {
    $info = @{}
    foreach ($m in [regex]::Matches(($lines -join ' '), '(\w+)=(\S+)')) { $info[$m.Groups[1].Value] = $m.Groups[2].Value }
    $info
}

# A scheme the module has no store for yet answers UnknownStoreScheme; any other failure means the store is there.
function Test-StoreScheme([string] $location) {
    try { ([SqliteBackup.Core.Storage.StoreRegistry]::Open($location)).Dispose(); return $true }
    catch {
        for ($e = $_.Exception; $e; $e = $e.InnerException) { if ($e.GetType().GetProperty('ErrorId') -and $e.ErrorId -eq 'UnknownStoreScheme') { return $false } }
        return $true
    }
}

# Runs one command as its own process under /usr/bin/time: wall seconds (our stopwatch) and peak RSS in MB.
function Invoke-Timed([string[]] $command, [hashtable] $environment) {
    $rssFile = Join-Path $work 'rss.txt'
    Remove-Item $rssFile -ErrorAction Ignore
    $saved = @{}
    foreach ($k in $environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $environment[$k]) }
    try {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $output = & /usr/bin/time -f '%M' -o $rssFile @command 2>&1
        $code = $LASTEXITCODE
        $sw.Stop()
    }
    finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
    if ($code) { throw "'$($command -join ' ')' failed with exit code ${code}: $($output -join "`n")" }
    $kb = [double]((Get-Content $rssFile | Where-Object { $_ -match '^\d+$' } | Select-Object -Last 1))
    [pscustomobject]@{ Seconds = $sw.Elapsed.TotalSeconds; RssMB = $kb / 1024 }
}

# Copy-SqliteBackup in a fresh pwsh; it writes the copy's own duration where the caller can read it.
function Invoke-OurCopy([string] $backupFile, [string] $location, [hashtable] $environment) {
    $engineFile = Join-Path $work 'engine-s.txt'
    Remove-Item $engineFile -ErrorAction Ignore
    $script = "Import-Module '$ModulePath'; `$ErrorActionPreference = 'Stop'; `$ProgressPreference = 'SilentlyContinue'; " +
        "`$r = Copy-SqliteBackup -LiteralPath '$backupFile' -BackupPath '$location'; " +
        "if (`$r.Status -ne 'Copied') { throw ""expected a copy, got `$(`$r.Status)"" }; " +
        "Set-Content '$engineFile' `$r.Duration.TotalSeconds.ToString([cultureinfo]::InvariantCulture)"
    $t = Invoke-Timed ($pwsh + @('-NoProfile', '-NonInteractive', '-Command', $script)) $environment
    $t | Add-Member Engine ([double]::Parse((Get-Content $engineFile), [cultureinfo]::InvariantCulture)) -PassThru
}

function Invoke-Rclone([string] $file, [string] $remote, [hashtable] $environment) {
    Invoke-Timed @('rclone', 'copy', '--retries', '1', $file, $remote) $environment | Add-Member Engine $null -PassThru
}

function Invoke-Quiet([string[]] $command, [hashtable] $environment) {
    $null = Invoke-Timed $command $environment
}

# --- The sources -----------------------------------------------------------------------------------------------

function New-SourceBackup {
    $dir = Join-Path $work 'source'
    if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    Write-Host "Backing up $Database for the transfer benchmark ..."
    $b = New-SqliteBackup -Path $Database -BackupPath $dir -VerificationLevel Quick
    Get-Item $b.Path
}

# Random bytes, stored uncompressed: a backup as large as asked for, cheap to make (about a minute for 3 GiB) and kept
# between runs. The database itself is removed once its backup exists.
function Get-LargeBackup {
    $dir = Join-Path $DataPath "large-$LargeGiB-GiB"
    $existing = Get-ChildItem $dir -Filter '*.db' -ErrorAction Ignore | Select-Object -First 1
    if ($existing -and (Test-Path "$($existing.FullName).manifest.json")) { return $existing }
    if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    New-Item -ItemType Directory -Path $dir | Out-Null
    $db = Join-Path $DataPath 'large-source.db'
    Remove-Item "$db*" -Force -ErrorAction Ignore
    $rows = [int][math]::Ceiling($LargeGiB * 1024)
    Write-Host "Generating a $LargeGiB GiB database of random bytes ($rows rows of 1 MiB) ..."
    "PRAGMA page_size=65536; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows) INSERT INTO blobs (data) SELECT randomblob(1048576) FROM n;" | sqlite3 $db | Out-Null
    if ($LASTEXITCODE) { throw 'generating the large database failed' }
    $b = New-SqliteBackup -Path $db -BackupPath $dir -Compression None -VerificationLevel Quick
    Remove-Item "$db*" -Force -ErrorAction Ignore
    Get-Item $b.Path
}

# --- The servers -----------------------------------------------------------------------------------------------
# Each: why it cannot run here (or $null), how to start and stop it, and per run where ours and rclone's copies go
# and how to remove them again. Secrets reach the processes through environment variables only.

function New-RadosGw([long] $largest) {
    $script = Join-Path $servers 'radosgw.sh'
    $why = if (-not (Test-Path $script)) { "$script is missing" }
    elseif (-not (Get-Command radosgw -ErrorAction Ignore) -or -not (Get-Command ceph-mon -ErrorAction Ignore)) { 'radosgw/ceph-mon are not installed (apt-get install --no-install-recommends radosgw ceph-mon ceph-osd)' }
    $s = [pscustomobject]@{ Name = 'radosgw (S3)'; Skip = $why; Dir = (Join-Path $work 'radosgw'); Ours = @{}; Rclone = @{}; Script = $script; Largest = $largest }
    $s | Add-Member ScriptMethod Start {
        $port = Get-FreePort; $mon = Get-FreePort
        # The in-memory OSD holds the largest object twice over at most (ours, then rclone's, before the garbage
        # collector is told to run), plus room for the rest.
        $env:RADOSGW_MEMSTORE_BYTES = [string][math]::Max(2GB, 2 * $this.Largest + 1GB)
        $out = bash $this.Script start $this.Dir $port $mon 2>&1
        if ($LASTEXITCODE) { throw "radosgw did not start: $out" }
        $i = ConvertFrom-ServerOutput $out
        $this.Ours = @{ AWS_ACCESS_KEY_ID = $i.access_key; AWS_SECRET_ACCESS_KEY = $i.secret_key; AWS_REGION = 'us-east-1'; AWS_ENDPOINT_URL_S3 = $i.endpoint }
        $this.Rclone = @{ RCLONE_CONFIG_RGW_TYPE = 's3'; RCLONE_CONFIG_RGW_PROVIDER = 'Ceph'; RCLONE_CONFIG_RGW_ACCESS_KEY_ID = $i.access_key
            RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY = $i.secret_key; RCLONE_CONFIG_RGW_ENDPOINT = $i.endpoint; RCLONE_CONFIG_RGW_REGION = 'us-east-1'
            # rclone 1.60 fails every S3 request when AWS_CA_BUNDLE is set ("unsupported transport"); this is plain http.
            AWS_CA_BUNDLE = '' }
        Invoke-Quiet @('rclone', 'mkdir', 'rgw:bench') $this.Rclone
    }
    $s | Add-Member ScriptMethod OurLocation { param($run) "s3://bench/$run-ours" }
    $s | Add-Member ScriptMethod RcloneRemote { param($run) "rgw:bench/$run-rclone" }
    $s | Add-Member ScriptMethod Clean {
        param($run)
        Invoke-Quiet @('rclone', 'purge', "rgw:bench/$run-ours") $this.Rclone
        Invoke-Quiet @('rclone', 'purge', "rgw:bench/$run-rclone") $this.Rclone
        # A deleted object's data stays until radosgw's garbage collector runs (hours by default): run it now, so the
        # in-memory OSD never holds more than one run.
        $null = radosgw-admin -c (Join-Path $this.Dir 'ceph.conf') gc process --include-all 2>&1
    }
    $s | Add-Member ScriptMethod Stop { bash $this.Script stop $this.Dir | Out-Null }
    $s
}

function New-Azurite {
    $script = Join-Path $servers 'azurite.sh'
    $why = if (-not (Test-Path $script)) { "$script is missing" }
    elseif (-not (Test-StoreScheme 'azure://devstoreaccount1/bench/probe')) { 'the module has no azure:// store' }
    $s = [pscustomobject]@{ Name = 'Azurite (Azure Blob)'; Skip = $why; Dir = (Join-Path $work 'azurite'); Ours = @{}; Rclone = @{}; Script = $script }
    $s | Add-Member ScriptMethod Start {
        $port = Get-FreePort
        $out = bash $this.Script start $this.Dir $port 2>&1
        if ($LASTEXITCODE) { throw "Azurite did not start: $out" }
        $i = ConvertFrom-ServerOutput $out
        # Azurite's published development account (not a secret; the same in every Azurite).
        $key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
        $endpoint = if ($i.ContainsKey('endpoint')) { $i.endpoint } else { "http://127.0.0.1:$port/devstoreaccount1" }
        $this.Ours = @{ AZURE_STORAGE_CONNECTION_STRING = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=$endpoint;" }
        # rclone 1.60's azureblob reaches an endpoint of our choosing only through a SAS URL (its 'endpoint' is a domain
        # suffix behind https://account., its emulator mode is fixed to port 10000): an account SAS signed with the key.
        $expiry = [DateTime]::UtcNow.AddDays(2).ToString('yyyy-MM-dd')
        $toSign = "devstoreaccount1`nracwdl`nb`nsco`n`n$expiry`n`n`n2019-12-12`n"
        $sig = [Convert]::ToBase64String([Security.Cryptography.HMACSHA256]::HashData([Convert]::FromBase64String($key), [Text.Encoding]::UTF8.GetBytes($toSign)))
        $this.Rclone = @{ RCLONE_CONFIG_AZ_TYPE = 'azureblob'
            RCLONE_CONFIG_AZ_SAS_URL = "$($endpoint.TrimEnd('/'))?sv=2019-12-12&ss=b&srt=sco&sp=racwdl&se=$expiry&sig=$([Uri]::EscapeDataString($sig))" }
        Invoke-Quiet @('rclone', 'mkdir', 'az:bench') $this.Rclone
    }
    $s | Add-Member ScriptMethod OurLocation { param($run) "azure://devstoreaccount1/bench/$run-ours" }
    $s | Add-Member ScriptMethod RcloneRemote { param($run) "az:bench/$run-rclone" }
    $s | Add-Member ScriptMethod Clean {
        param($run)
        Invoke-Quiet @('rclone', 'delete', "az:bench/$run-ours") $this.Rclone
        Invoke-Quiet @('rclone', 'delete', "az:bench/$run-rclone") $this.Rclone
    }
    $s | Add-Member ScriptMethod Stop { bash $this.Script stop $this.Dir | Out-Null }
    $s
}

function New-Sshd {
    $script = Join-Path $servers 'sshd.sh'
    $why = if (-not (Test-Path $script)) { "$script is missing" }
    elseif (-not (Test-Path /usr/sbin/sshd)) { 'sshd is not installed (apt-get install openssh-server)' }
    elseif (-not (Test-StoreScheme 'sftp://root@127.0.0.1:22/probe')) { 'the module has no sftp:// store' }
    $s = [pscustomobject]@{ Name = 'OpenSSH sshd (SFTP)'; Skip = $why; Dir = (Join-Path $work 'sshd'); Ours = @{}; Rclone = @{}; Script = $script; Port = 0; User = 'root' }
    $s | Add-Member ScriptMethod Start {
        $this.Port = Get-FreePort
        $out = bash $this.Script start $this.Dir $this.Port 2>&1
        if ($LASTEXITCODE) { throw "sshd did not start: $out" }
        $i = ConvertFrom-ServerOutput $out
        if ($i.ContainsKey('user')) { $this.User = $i.user }
        $identity = if ($i.ContainsKey('identity')) { $i.identity } else { Join-Path $this.Dir 'client_ed25519' }
        $known = if ($i.ContainsKey('known_hosts')) { $i.known_hosts } else { Join-Path $this.Dir 'known_hosts' }
        New-Item -ItemType Directory -Force -Path (Join-Path $this.Dir 'store') | Out-Null
        $this.Ours = @{ SQLITEBACKUP_SFTP_IDENTITY = $identity; SQLITEBACKUP_SFTP_KNOWN_HOSTS = $known }
        # rclone 1.60 (Go's knownhosts) asks for whichever host key type it prefers and calls any other a mismatch: it
        # gets every key the server has, checked the same way.
        $rcloneKnown = Join-Path $this.Dir 'known_hosts.rclone'
        Get-ChildItem (Join-Path $this.Dir 'host_*.pub') | ForEach-Object { "[127.0.0.1]:$($this.Port) " + ((Get-Content $_.FullName) -split ' ')[0..1] -join ' ' } | Set-Content $rcloneKnown
        $this.Rclone = @{ RCLONE_CONFIG_SSH_TYPE = 'sftp'; RCLONE_CONFIG_SSH_HOST = '127.0.0.1'; RCLONE_CONFIG_SSH_PORT = [string]$this.Port
            RCLONE_CONFIG_SSH_USER = $this.User; RCLONE_CONFIG_SSH_KEY_FILE = $identity; RCLONE_CONFIG_SSH_KNOWN_HOSTS_FILE = $rcloneKnown }
    }
    $s | Add-Member ScriptMethod OurLocation { param($run) "sftp://$($this.User)@127.0.0.1:$($this.Port)$(Join-Path $this.Dir "store/$run-ours")" }
    $s | Add-Member ScriptMethod RcloneRemote { param($run) "ssh:$(Join-Path $this.Dir "store/$run-rclone")" }
    $s | Add-Member ScriptMethod Clean { param($run) Remove-Item (Join-Path $this.Dir "store/$run-*") -Recurse -Force -ErrorAction Ignore }
    $s | Add-Member ScriptMethod Stop { bash $this.Script stop $this.Dir | Out-Null }
    $s
}

# --- The runs --------------------------------------------------------------------------------------------------

$source = New-SourceBackup
$large = if ($LargeGiB -gt 0) { Get-LargeBackup }
$largest = [math]::Max($source.Length, $(if ($large) { $large.Length } else { 0 }))
Write-Host ("Source backup: {0} ({1:N0} bytes){2}" -f $source.FullName, $source.Length, $(if ($large) { "; large backup: {0} ({1:N0} bytes)" -f $large.FullName, $large.Length }))

$targets = @(
    if ('radosgw' -in $Server) { New-RadosGw $largest }
    if ('azurite' -in $Server) { New-Azurite }
    if ('sshd' -in $Server) { New-Sshd }
)
$results = [ordered]@{}
foreach ($t in $targets) {
    if ($t.Skip) { Write-Host "Skipping $($t.Name): $($t.Skip)"; continue }
    Write-Host "Starting $($t.Name) ..."
    $r = [pscustomobject]@{ Ours = [Collections.Generic.List[object]]::new(); Rclone = [Collections.Generic.List[object]]::new(); LargeOurs = $null; LargeRclone = $null }
    # Every start from an empty folder (the scripts refuse to reuse one); a failed run's folder stays for its logs.
    if (Test-Path $t.Dir) { Remove-Item $t.Dir -Recurse -Force }
    try {
        $t.Start()
        for ($run = 0; $run -le $Runs; $run++) {
            $name = "run$run"
            $ours = Invoke-OurCopy $source.FullName $t.OurLocation($name) $t.Ours
            $theirs = Invoke-Rclone $source.FullName $t.RcloneRemote($name) $t.Rclone
            $t.Clean($name)
            if ($run -eq 0) { Write-Host ("warm-up: ours {0:N2} s, rclone {1:N2} s" -f $ours.Seconds, $theirs.Seconds); continue }
            $r.Ours.Add($ours); $r.Rclone.Add($theirs)
            Write-Host ("run {0}: {1,-22} Copy-SqliteBackup {2,7:N2} s (copy {3:N2} s, {4:N0} MB peak)   rclone copy {5,7:N2} s ({6:N0} MB peak)" -f `
                $run, $t.Name, $ours.Seconds, $ours.Engine, $ours.RssMB, $theirs.Seconds, $theirs.RssMB)
        }
        if ($large) {
            Write-Host "Large object to $($t.Name) ..."
            $r.LargeOurs = Invoke-OurCopy $large.FullName $t.OurLocation('large') $t.Ours
            $r.LargeRclone = Invoke-Rclone $large.FullName $t.RcloneRemote('large') $t.Rclone
            $t.Clean('large')
            Write-Host ("large: Copy-SqliteBackup {0:N2} s, {1:N0} MB peak; rclone {2:N2} s, {3:N0} MB peak" -f $r.LargeOurs.Seconds, $r.LargeOurs.RssMB, $r.LargeRclone.Seconds, $r.LargeRclone.RssMB)
        }
        $results[$t.Name] = $r
    }
    catch {
        Write-Host "$($t.Name) failed: $_"
        $t.Skip = "the run failed: $(($_.ToString() -split "`n")[0])"
    }
    finally { $t.Stop() }
    if ($results.Contains($t.Name)) { Remove-Item $t.Dir -Recurse -Force -ErrorAction Ignore }
}

# --- The report ------------------------------------------------------------------------------------------------

$verdict = { param($ok) if ($ok) { 'met' } else { '**not met**' } }
$rows = foreach ($k in $results.Keys) {
    $r = $results[$k]
    $oursMed = Median ($r.Ours | ForEach-Object Seconds); $rcloneMed = Median ($r.Rclone | ForEach-Object Seconds)
    "| $k | Copy-SqliteBackup, whole pwsh process | {0:N2} | {1:N2} | {2:N2} | {3:N2}x | {4:N0} |" -f $oursMed, ($r.Ours.Seconds | Measure-Object -Minimum).Minimum, ($r.Ours.Seconds | Measure-Object -Maximum).Maximum, ($oursMed / $rcloneMed), (Median ($r.Ours | ForEach-Object RssMB))
    "| $k | Copy-SqliteBackup, the copy's own clock | {0:N2} | {1:N2} | {2:N2} | {3:N2}x | |" -f (Median ($r.Ours | ForEach-Object Engine)), ($r.Ours.Engine | Measure-Object -Minimum).Minimum, ($r.Ours.Engine | Measure-Object -Maximum).Maximum, ((Median ($r.Ours | ForEach-Object Engine)) / $rcloneMed)
    "| $k | rclone copy | {0:N2} | {1:N2} | {2:N2} | 1.00x | {3:N0} |" -f $rcloneMed, ($r.Rclone.Seconds | Measure-Object -Minimum).Minimum, ($r.Rclone.Seconds | Measure-Object -Maximum).Maximum, (Median ($r.Rclone | ForEach-Object RssMB))
}
$targetLines = foreach ($k in $results.Keys) {
    $r = $results[$k]
    $rcloneMed = Median ($r.Rclone | ForEach-Object Seconds)
    $ratio = (Median ($r.Ours | ForEach-Object Seconds)) / $rcloneMed
    $engineRatio = (Median ($r.Ours | ForEach-Object Engine)) / $rcloneMed
    "- Target ""at most 1.2x rclone"", $($k): whole process {0:N2}x ($(& $verdict ($ratio -le 1.2))), the copy's own clock {1:N2}x ($(& $verdict ($engineRatio -le 1.2)))." -f $ratio, $engineRatio
}
$skipped = foreach ($t in $targets) { if ($t.Skip) { "- $($t.Name): not measured ($($t.Skip))." } }
$largeRows = foreach ($k in $results.Keys) {
    $r = $results[$k]
    if ($r.LargeOurs) { "| $k | {0:N2} | {1:N2} | {2:N0} | $(& $verdict ($r.LargeOurs.RssMB -lt 300)) | {3:N2} | {4:N0} |" -f $r.LargeOurs.Seconds, $r.LargeOurs.Engine, $r.LargeOurs.RssMB, $r.LargeRclone.Seconds, $r.LargeRclone.RssMB }
}
$largeSection = if ($largeRows) {
    "### Memory for a multi-GiB object (target: pwsh process under 300 MB)`n`n" +
    ("A generated backup of {0:N0} bytes of random data (-Compression None), copied once by each.`n`n" -f $large.Length) +
    "| server | Copy-SqliteBackup s | its own clock s | pwsh peak RSS MB | under 300 MB | rclone s | rclone peak RSS MB |`n|---|---:|---:|---:|---|---:|---:|`n" +
    ($largeRows -join "`n")
} elseif ($LargeGiB -le 0) { '(Memory for a multi-GiB object: skipped, -LargeGiB 0.)' } else { '(Memory for a multi-GiB object: no server ran.)' }
$rcloneVersion = ((rclone version) | Select-Object -First 1) -replace '^rclone\s+', ''
$section = @"
## Off-site copies: Copy-SqliteBackup against rclone copy

The backup of the database above (zstd, $('{0:N0}' -f $source.Length) bytes) copied to a server on this machine (127.0.0.1, started by
``tests/servers/*.sh``) by ``Copy-SqliteBackup`` in a fresh pwsh process and by ``rclone copy`` (rclone $rcloneVersion,
its defaults, configured by RCLONE_CONFIG_* variables) of the same file, $Runs interleaved runs after one warm-up of
each; every copy goes to a fresh prefix and is deleted afterwards. Times are whole processes in seconds (ours includes
pwsh start-up and module import); "the copy's own clock" is CopyResult.Duration. Peak RSS is /usr/bin/time's maximum
resident set of the process. Copy-SqliteBackup also checks what the server stored against the manifest's SHA-256
(the service's checksum where it keeps one, otherwise the object read back) and writes the manifest last.

| server | command | median s | min s | max s | vs rclone | peak RSS MB |
|---|---|---:|---:|---:|---:|---:|
$($rows -join "`n")

$((@($targetLines) + @($skipped)) -join "`n")

$largeSection
"@
if ($ReportPath) { Set-Content -Path $ReportPath -Value $section }
$section
