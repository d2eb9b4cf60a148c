#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The one entry point: build the module, run every test, run the demo, run the benchmarks.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Demo
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Clean')]
    [string[]] $Task = 'Build',
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',
    # Benchmark database size in MiB (the issue's target is measured on 1024).
    [int] $BenchSizeMiB = 1024
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleOut = Join-Path $out 'SqliteBackup'
$results = Join-Path $out 'test-results'

function Invoke-Native([string] $what) {
    # Native commands do not throw on failure; every call checks the exit code.
    if ($LASTEXITCODE -ne 0) { throw "$what failed with exit code $LASTEXITCODE" }
}

# A child pwsh for anything that imports the module, so this process never locks the DLL it just built.
# Works for pwsh installed natively and for pwsh run by dotnet as a .NET tool (then $PSHOME holds pwsh.dll).
function Get-PwshCommand {
    $exe = [Environment]::ProcessPath
    if ((Split-Path -Leaf $exe) -like 'dotnet*') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($exe)
}

function Invoke-ChildPwsh([string] $script, [string[]] $arguments = @()) {
    $cmd = Get-PwshCommand
    $rest = @($cmd | Select-Object -Skip 1)
    & $cmd[0] @rest -NoProfile -NonInteractive -File $script @arguments | Out-Host
    return $LASTEXITCODE
}

function Invoke-Build {
    Write-Host "== Build ($Configuration)" -ForegroundColor Cyan
    dotnet build (Join-Path $root 'SqliteBackup.PS.sln') -c $Configuration --nologo -v quiet -clp:ErrorsOnly; Invoke-Native 'dotnet build'
    dotnet restore (Join-Path $root 'tests/SqliteBackup.PowerShell.Tests/Pester.Restore.csproj') --nologo -v quiet; Invoke-Native 'Pester restore'

    if (Test-Path $moduleOut) { Remove-Item $moduleOut -Recurse -Force }
    New-Item -ItemType Directory -Path $moduleOut | Out-Null
    $bin = Join-Path $root "src/SqliteBackup.PowerShell/bin/$Configuration/net8.0"
    # NuGet's runtimes/ tree is never probed from an imported module; the <os>-<arch>/ copies are what pwsh loads.
    Get-ChildItem $bin | Where-Object { $_.Name -ne 'runtimes' -and $_.Name -notlike '*.deps.json' } |
        Copy-Item -Destination $moduleOut -Recurse
    Copy-Item (Join-Path $root 'module/SqliteBackup/*') -Destination $moduleOut -Recurse
    Copy-Item (Join-Path $root 'LICENSE') -Destination $moduleOut
    & (Join-Path $root 'module/Invoke-ReadyToRun.ps1') -ModuleFolder $moduleOut -CacheFolder (Join-Path $out 'readytorun-cache')

    $code = Invoke-ChildPwsh (Join-Path $root 'module/New-MamlHelp.ps1') @(
        '-ModulePath', (Join-Path $moduleOut 'SqliteBackup.psd1'),
        '-HelpSource', (Join-Path $root 'module/help'),
        '-OutFile', (Join-Path $moduleOut 'en-US/SqliteBackup.PowerShell.dll-Help.xml'))
    if ($code -ne 0) { throw 'Help generation failed' }
    Write-Host "Module: $moduleOut"
}

function Get-PesterPath {
    $line = dotnet nuget locals global-packages --list | Select-Object -First 1
    $packages = ($line -replace '^global-packages:\s*', '').Trim()
    $psd1 = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $psd1)) { throw "Pester was not restored to $psd1" }
    return $psd1
}

function Invoke-Test {
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory -Path $results | Out-Null

    Write-Host '== xunit (Core)' -ForegroundColor Cyan
    dotnet test (Join-Path $root 'tests/SqliteBackup.Core.Tests') -c $Configuration --no-build --nologo `
        --logger 'trx;LogFileName=core.trx' --logger 'console;verbosity=normal' --results-directory $results
    $xunitExit = $LASTEXITCODE
    $xunit = @{ passed = 0; failed = 0; skipped = 0 }
    $xunitFailures = @()
    $trx = Join-Path $results 'core.trx'
    if (Test-Path $trx) {
        $c = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
        # A skipped xunit test is counted in total but not in executed.
        $xunit = @{ passed = [int]$c.passed; failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; skipped = [int]$c.total - [int]$c.executed }
        $ns = @{ t = 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010' }
        $xunitFailures = @(Select-Xml -Path $trx -XPath "//t:UnitTestResult[@outcome!='Passed' and @outcome!='NotExecuted']" -Namespace $ns |
            ForEach-Object { "$($_.Node.testName): $($_.Node.Output.ErrorInfo.Message)" })
    }
    # A crashed test host (an exception on a thread of a test) aborts the run: the trx then holds only the tests that
    # finished, all passed, and the rest never ran. That is a failure, named, not a smaller green count.
    if ($xunitExit -ne 0 -and $xunit.failed -eq 0) {
        $xunit.failed = 1
        $xunitFailures += "xunit: the run ended with exit code $xunitExit after $($xunit.passed) passed tests and no failed one: the test host crashed or the run was aborted (see 'Test Run Aborted' above)"
    }

    Write-Host '== Pester (cmdlets in pwsh)' -ForegroundColor Cyan
    $env:SQLITEBACKUP_MODULE = Join-Path $moduleOut 'SqliteBackup.psd1'
    $summary = Join-Path $results 'pester-summary.json'
    $code = Invoke-ChildPwsh (Join-Path $root 'tests/SqliteBackup.PowerShell.Tests/Invoke-PesterSuite.ps1') @(
        '-PesterPath', (Get-PesterPath), '-TestPath', (Join-Path $root 'tests/SqliteBackup.PowerShell.Tests'),
        '-ResultPath', (Join-Path $results 'pester.xml'), '-SummaryPath', $summary)
    $pester = @{ passed = 0; failed = 1; skipped = 0 }
    if (Test-Path $summary) { $pester = Get-Content -Raw $summary | ConvertFrom-Json -AsHashtable }
    elseif ($code -eq 0) { $pester.failed = 0 }

    # The CI record keeps only the tail of the output: name what failed there, a line each.
    foreach ($line in @($xunitFailures) + @($pester.failures | Where-Object { $_ })) {
        $line = ($line -replace '\s+', ' ').Trim()
        Write-Host ('FAILED ' + $(if ($line.Length -gt 400) { $line.Substring(0, 400) + '...' } else { $line })) -ForegroundColor Red
    }
    $passed = $xunit.passed + $pester.passed
    $failed = $xunit.failed + $pester.failed
    $skipped = $xunit.skipped + $pester.skipped
    Write-Host ("xunit: {0} passed, {1} failed, {2} skipped; Pester: {3} passed, {4} failed, {5} skipped" -f `
            $xunit.passed, $xunit.failed, $xunit.skipped, $pester.passed, $pester.failed, $pester.skipped)
    Write-Host "Tests: $passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0 -or $xunitExit -ne 0 -or $code -ne 0) { exit 1 }
}

function Invoke-Demo {
    $code = Invoke-ChildPwsh (Join-Path $root 'module/Show-Demo.ps1') @('-ModulePath', (Join-Path $moduleOut 'SqliteBackup.psd1'), '-WorkPath', (Join-Path $out 'demo'))
    if ($code -ne 0) { exit $code }
}

function Invoke-Bench {
    $code = Invoke-ChildPwsh (Join-Path $root 'bench/Invoke-Benchmarks.ps1') @('-ModulePath', (Join-Path $moduleOut 'SqliteBackup.psd1'), '-SizeMiB', $BenchSizeMiB, '-ReportPath', (Join-Path $root 'docs/benchmarks.md'))
    if ($code -ne 0) { exit $code }
}

foreach ($t in $Task) {
    switch ($t) {
        'Clean' { if (Test-Path $out) { Remove-Item $out -Recurse -Force } }
        'Build' { Invoke-Build }
        'Test' { Invoke-Build; Invoke-Test }
        'Demo' { Invoke-Build; Invoke-Demo }
        'Bench' { Invoke-Build; Invoke-Bench }
    }
}
