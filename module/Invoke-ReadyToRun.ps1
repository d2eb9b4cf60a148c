<#
.SYNOPSIS
    Compiles the module's assemblies ahead of time (ReadyToRun) for the .NET runtime this pwsh runs on.
.DESCRIPTION
    Every cmdlet runs in a fresh pwsh when a scheduler starts a job, so start-up is paid on every run: without this,
    the first copy to an SFTP server JIT-compiles about 1,600 methods of SSH.NET and BouncyCastle alone. ReadyToRun
    code is used only by a runtime of the same major version as the one it was compiled for (an older or newer one
    ignores it and compiles just in time, as before), so it is compiled for the runtime of the pwsh running the build,
    the one README's commands then use. Keeps the IL-only files, with a warning, when crossgen2 for this runtime cannot
    be restored or fails on a file: the module works the same, only slower to start.
    Compiled files are cached by the input's SHA-256 and the runtime version, so a rebuild recompiles only what changed.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $CacheFolder
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Add-Type -AssemblyName System.Reflection.Metadata

$ri = [System.Runtime.InteropServices.RuntimeInformation]
$os = if ($IsLinux) { 'linux' } elseif ($IsMacOS) { 'osx' } elseif ($IsWindows) { 'win' } else { $null }
$arch = switch ($ri::OSArchitecture) { 'X64' { 'x64' } 'Arm64' { 'arm64' } default { $null } }
if (-not $os -or -not $arch) { Write-Warning "ReadyToRun: no crossgen2 for $($ri::OSDescription) $($ri::OSArchitecture); the module is left IL-only."; return }
$version = [Environment]::Version.ToString(3)
$rid = "$os-$arch"

dotnet restore (Join-Path $PSScriptRoot 'ReadyToRun.Restore.csproj') --nologo -v quiet "-p:Crossgen2Rid=$rid" "-p:Crossgen2Version=$version" | Out-Host
if ($LASTEXITCODE -ne 0) { Write-Warning "ReadyToRun: crossgen2 $version for $rid could not be restored; the module is left IL-only (it works the same, starts slower)."; return }
$packages = ((dotnet nuget locals global-packages --list | Select-Object -First 1) -replace '^global-packages:\s*', '').Trim()
$crossgen = Join-Path $packages "microsoft.netcore.app.crossgen2.$rid/$version/tools/crossgen2$(if ($IsWindows) { '.exe' })"
if (-not (Test-Path $crossgen)) { Write-Warning "ReadyToRun: $crossgen is missing; the module is left IL-only."; return }

# What the module's code is bound to at run time, one file per name: this runtime's framework first, then this pwsh's
# own assemblies (both load before a module's copy of the same name), then the module's.
$bound = [ordered]@{}
foreach ($folder in (Split-Path ([object].Assembly.Location)), $PSHOME, $ModuleFolder) {
    foreach ($f in Get-ChildItem $folder -Filter *.dll -File) { if (-not $bound.Contains($f.BaseName)) { $bound[$f.BaseName] = $f.FullName } }
}

# Managed and not compiled yet; a native library or anything unreadable is left as it is.
function Test-ILOnly([string] $path) {
    try {
        $stream = [IO.File]::OpenRead($path)
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            try { $pe.HasMetadata -and $null -ne $pe.PEHeaders.CorHeader -and $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -eq 0 }
            finally { $pe.Dispose() }
        }
        finally { $stream.Dispose() }
    }
    catch [BadImageFormatException] { $false }
}

New-Item -ItemType Directory -Force -Path $CacheFolder | Out-Null
$compiled = 0; $cached = 0; $failed = @(); $used = @{}
foreach ($dll in Get-ChildItem $ModuleFolder -Filter *.dll -File) {
    # A module copy of an assembly the framework or pwsh has is never the one loaded; one already compiled is left.
    if ($bound[$dll.BaseName] -ne $dll.FullName -or -not (Test-ILOnly $dll.FullName)) { continue }
    $key = (Get-FileHash -Algorithm SHA256 $dll.FullName).Hash.Substring(0, 32)
    $target = Join-Path $CacheFolder "$($dll.BaseName)-$rid-$version-$key.dll"
    # The compiled file's own SHA-256 beside it: a cached file that is not byte for byte what crossgen2 wrote (cut
    # short, overwritten, damaged on disk) is compiled again, never copied into the module, which would then not load.
    $check = "$target.sha256"
    $used[$target] = $true; $used[$check] = $true
    if ((Test-Path $target) -and (Test-Path $check) -and
        ((Get-Content -Raw $check).Trim() -eq (Get-FileHash -Algorithm SHA256 $target).Hash)) { $cached++ }
    else {
        Remove-Item $target, $check -ErrorAction Ignore
        $temp = "$target.tmp"
        $references = $bound.Values | Where-Object { $_ -ne $dll.FullName } | ForEach-Object { '-r'; $_ }
        $output = & $crossgen $dll.FullName -o $temp -O --targetos $os --targetarch $arch @references 2>&1
        if ($LASTEXITCODE -ne 0 -or -not (Test-Path $temp)) {
            Remove-Item $temp -ErrorAction Ignore
            $failed += "$($dll.Name): $(($output | Select-Object -Last 1))"
            continue
        }
        Set-Content -NoNewline -Path $check -Value (Get-FileHash -Algorithm SHA256 $temp).Hash
        Move-Item -Force $temp $target
        $compiled++
    }
    Copy-Item -Force $target $dll.FullName
}
# What this build did not use is an older build's: the cache holds one build's worth.
Get-ChildItem $CacheFolder -File | Where-Object { -not $used.Contains($_.FullName) } | Remove-Item -Force
foreach ($f in $failed) { Write-Warning "ReadyToRun: $f; that file is left IL-only." }
Write-Host "ReadyToRun ($rid, .NET $version): $compiled compiled, $cached from the cache, $($failed.Count) left IL-only"
