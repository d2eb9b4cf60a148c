BeforeDiscovery {
    $script:contracts = Import-PowerShellDataFile (Join-Path $PSScriptRoot 'ParameterContracts.psd1')
    $script:cases = $contracts.Keys | Sort-Object | ForEach-Object { @{ Name = $_; Expected = @($contracts[$_]) } }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:pinned = Import-PowerShellDataFile (Join-Path $PSScriptRoot 'ParameterContracts.psd1')
}

# dbatools' habit: every command's parameters are pinned, so that a rename, a lost alias, a parameter moved to
# another set or a changed pipeline binding breaks this test before it breaks someone's script.
Describe 'Parameter contracts' {
    It 'every exported cmdlet has a contract, and every contract a cmdlet' {
        (Get-Command -Module SqliteBackup).Name | Sort-Object | Should -Be ($pinned.Keys | Sort-Object)
    }

    It '<Name> keeps its parameters, sets, aliases and pipeline bindings' -ForEach $cases {
        $actual = @(Get-ParameterContract $Name)
        $diff = Compare-Object $Expected $actual | ForEach-Object { "$(if ($_.SideIndicator -eq '<=') { 'pinned, now missing' } else { 'new, not pinned' }): $($_.InputObject)" }
        $diff | Should -BeNullOrEmpty -Because 'ParameterContracts.psd1 pins what scripts depend on'
    }
}
