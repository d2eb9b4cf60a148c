BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Script = Join-Path $Root 'module/Invoke-ReadyToRun.ps1'
    # A small IL-only assembly of the module with no dependency outside the framework: one crossgen2 run is short.
    $script:IL = Get-ChildItem (Join-Path $Root 'src/SqliteBackup.PowerShell/bin/*/net8.0/Cronos.dll') -ErrorAction Ignore | Select-Object -First 1

    # What the runtime would make of the file: a managed image, compiled ahead of time, whose types load.
    function Get-ImageState([string] $Path) {
        $pwsh = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
        $rest = @($pwsh | Select-Object -Skip 1)
        # A child process: the assembly loaded there leaves this one free to overwrite or delete the file.
        $code = @"
Add-Type -AssemblyName System.Reflection.Metadata
`$s = [IO.File]::OpenRead('$Path'); `$pe = [System.Reflection.PortableExecutable.PEReader]::new(`$s)
try { `$r2r = `$pe.HasMetadata -and `$pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0 } catch { `$r2r = `$false } finally { `$pe.Dispose(); `$s.Dispose() }
try { `$n = [Reflection.Assembly]::LoadFile('$Path').GetTypes().Count; `$loads = `$n -gt 0 } catch { `$loads = `$false }
"R2R=`$r2r LOADS=`$loads"
"@
        (& $pwsh[0] @rest -NoProfile -NonInteractive -Command $code 2>&1 | ForEach-Object { "$_" }) -join "`n"
    }
}

Describe 'Invoke-ReadyToRun (the build''s ahead-of-time compilation)' {
    It 'a cached compiled file that is damaged is compiled again, not copied into the module' {
        if (-not $IL) { Set-ItResult -Skipped -Because 'the module is not built here (no src/SqliteBackup.PowerShell/bin)'; return }
        $dir = New-TestFolder
        $module = Join-Path $dir 'module'; $cache = Join-Path $dir 'cache'
        New-Item -ItemType Directory $module | Out-Null
        Copy-Item $IL.FullName $module

        $first = & $Script -ModuleFolder $module -CacheFolder $cache 6>&1 3>&1 | ForEach-Object { "$_" }
        if ($first -match 'left IL-only' -and $first -notmatch '1 compiled') { Set-ItResult -Skipped -Because "no crossgen2 here: $($first -join ' ')"; return }
        ($first -join "`n") | Should -Match '1 compiled, 0 from the cache'
        $cached = @(Get-ChildItem $cache -Filter 'Cronos-*.dll')
        $cached.Count | Should -Be 1

        # Cut short on disk (a full disk, a crash while another build wrote it, a bad sector): its name still says it
        # is the compiled form of this very input, so the name alone would have it copied into the module.
        $bytes = [IO.File]::ReadAllBytes($cached[0].FullName)
        [IO.File]::WriteAllBytes($cached[0].FullName, $bytes[0..([Math]::Min(4095, $bytes.Length - 1))])
        Copy-Item -Force $IL.FullName $module

        $second = & $Script -ModuleFolder $module -CacheFolder $cache 6>&1 3>&1 | ForEach-Object { "$_" }
        ($second -join "`n") | Should -Match '1 compiled, 0 from the cache'
        Get-ImageState (Join-Path $module 'Cronos.dll') | Should -Match 'R2R=True LOADS=True'

        # And a sound cache entry is used as before.
        Copy-Item -Force $IL.FullName $module
        $third = & $Script -ModuleFolder $module -CacheFolder $cache 6>&1 3>&1 | ForEach-Object { "$_" }
        ($third -join "`n") | Should -Match '0 compiled, 1 from the cache'
        Get-ImageState (Join-Path $module 'Cronos.dll') | Should -Match 'R2R=True LOADS=True'
    }
}
