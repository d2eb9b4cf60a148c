<#
.SYNOPSIS
    Runs the Pester suite in this (fresh) pwsh and writes a small JSON summary for build.ps1 to add up.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [Parameter(Mandatory)] [string] $SummaryPath
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath
$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $ResultPath
$run = Invoke-Pester -Configuration $config
@{
    passed  = $run.PassedCount
    failed  = $run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount
    skipped = $run.SkippedCount + $run.NotRunCount
    # Named again by build.ps1 at the very end, where a CI record that keeps only the tail still shows them.
    failures = @(@($run.Failed | ForEach-Object { "$($_.ExpandedPath): $(($_.ErrorRecord | Select-Object -First 1).ToString())" }) +
        @($run.FailedBlocks | ForEach-Object { "$($_.Path -join ' '): block failed" }) +
        @($run.FailedContainers | ForEach-Object { "$($_.Item): container failed" }))
} | ConvertTo-Json -Depth 3 | Set-Content -Path $SummaryPath
if ($run.Result -ne 'Passed') { exit 1 }
