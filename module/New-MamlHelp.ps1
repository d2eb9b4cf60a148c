<#
.SYNOPSIS
    Builds the module's MAML help (en-US/SqliteBackup.PowerShell.dll-Help.xml) from module/help/<Cmdlet>.psd1.
.DESCRIPTION
    Syntax, parameter types, positions and pipeline input come from the compiled cmdlets themselves, so help
    can never disagree with the code; the prose comes from the .psd1 files. The build fails when a cmdlet or
    a parameter has no description, or a cmdlet has fewer than two examples.
    Run it in a fresh pwsh: it imports the built module.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $HelpSource,
    [Parameter(Mandatory)] [string] $OutFile
)
$ErrorActionPreference = 'Stop'
$module = Import-Module $ModulePath -PassThru -Force
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
# -WhatIf and -Confirm are common parameters, but Get-Help shows them only when the MAML lists them, as PowerShell's own help does.
$shouldProcess = [ordered]@{
    WhatIf  = 'Shows what would happen if the cmdlet runs. Nothing is changed.'
    Confirm = 'Prompts you for confirmation before each change.'
}
$problems = [System.Collections.Generic.List[string]]::new()

function Esc([string] $s) { [System.Security.SecurityElement]::Escape($s) }
function Paras($text) { (@($text) | ForEach-Object { "<maml:para>$(Esc $_)</maml:para>" }) -join '' }
function TypeName([type] $t) {
    if ($t -eq [System.Management.Automation.SwitchParameter]) { return 'SwitchParameter' }
    if ([Nullable]::GetUnderlyingType($t)) { return [Nullable]::GetUnderlyingType($t).Name }  # not 'Nullable`1'
    $t.Name
}
function PipelineText($attrs) {
    $kinds = @()
    if ($attrs | Where-Object ValueFromPipeline) { $kinds += 'ByValue' }
    if ($attrs | Where-Object ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}
# In SYNTAX ($withDefault false) a switch has no value: with one, Get-Help shows '-Force <SwitchParameter>'.
function ParameterXml($p, $attrs, [string] $description, [bool] $withDefault) {
    $required = [bool]($attrs | Where-Object Mandatory)
    $pos = ($attrs | Where-Object { $_.Position -ge 0 } | Select-Object -First 1).Position
    $position = if ($null -ne $pos) { $pos } else { 'named' }
    $aliases = if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }
    $globbing = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $type = TypeName $p.ParameterType
    $values = ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1).ValidValues
    if (-not $values -and $p.ParameterType.IsEnum) { $values = [enum]::GetNames($p.ParameterType) }
    $valueXml = if ($values) { '<command:parameterValueGroup>' + (($values | ForEach-Object { "<command:parameterValue required=`"false`" variableLength=`"false`">$(Esc $_)</command:parameterValue>" }) -join '') + '</command:parameterValueGroup>' } else { '' }
    $default = if ($withDefault) { "<dev:defaultValue>None</dev:defaultValue>" } else { '' }
    $isSwitch = $p.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $valueXml = if ($isSwitch -and -not $withDefault) { '' } else { $valueXml + "`n<command:parameterValue required=`"$((-not $isSwitch).ToString().ToLower())`" variableLength=`"false`">$type</command:parameterValue>" }
    @"
<command:parameter required="$($required.ToString().ToLower())" variableLength="true" globbing="$($globbing.ToString().ToLower())" pipelineInput="$(PipelineText $attrs)" position="$position" aliases="$(Esc $aliases)">
<maml:name>$($p.Name)</maml:name><maml:description>$(Paras $description)</maml:description>$valueXml
<dev:type><maml:name>$($p.ParameterType.FullName)</maml:name></dev:type>$default
</command:parameter>
"@
}

$sharedPath = Join-Path $HelpSource '_Shared.psd1'
$shared = if (Test-Path $sharedPath) { (Import-PowerShellDataFile $sharedPath).Parameters } else { @{} }
$commands = foreach ($cmd in (Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)) {
    $src = Join-Path $HelpSource "$($cmd.Name).psd1"
    if (-not (Test-Path $src)) { $problems.Add("$($cmd.Name): no help source at $src"); continue }
    $h = Import-PowerShellDataFile $src
    foreach ($k in $shared.Keys) { if ($cmd.Parameters.ContainsKey($k) -and -not $h.Parameters.ContainsKey($k)) { $h.Parameters[$k] = $shared[$k] } }
    $params = $cmd.Parameters.Values | Where-Object { $_.Name -notin $common }
    foreach ($p in $params) { if (-not $h.Parameters.ContainsKey($p.Name)) { $problems.Add("$($cmd.Name): parameter -$($p.Name) has no description") } }
    foreach ($name in $h.Parameters.Keys) { if ($name -notin $params.Name) { $problems.Add("$($cmd.Name): help describes -$name, which does not exist") } }
    if (-not $h.Synopsis -or -not $h.Description) { $problems.Add("$($cmd.Name): synopsis or description missing") }
    if (@($h.Examples).Count -lt 2) { $problems.Add("$($cmd.Name): fewer than two examples") }

    $syntax = foreach ($set in $cmd.ParameterSets) {
        $items = @(foreach ($sp in $set.Parameters | Where-Object { $_.Name -notin $common }) {
            $p = $cmd.Parameters[$sp.Name]
            $attrs = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and ($_.ParameterSetName -eq $set.Name -or $_.ParameterSetName -eq '__AllParameterSets') }
            ParameterXml $p $attrs $h.Parameters[$p.Name] $false
        })
        $items += foreach ($name in $shouldProcess.Keys | Where-Object { $cmd.Parameters.ContainsKey($_) }) {
            ParameterXml $cmd.Parameters[$name] @() $shouldProcess[$name] $false
        }
        "<command:syntaxItem><maml:name>$($cmd.Name)</maml:name>$($items -join '')</command:syntaxItem>"
    }
    $parameters = @(foreach ($p in $params | Sort-Object Name) {
        $attrs = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
        ParameterXml $p $attrs $h.Parameters[$p.Name] $true
    })
    $parameters += foreach ($name in $shouldProcess.Keys | Where-Object { $cmd.Parameters.ContainsKey($_) }) {
        ParameterXml $cmd.Parameters[$name] @() $shouldProcess[$name] $true
    }
    $inputs = foreach ($i in @($h.Inputs)) { "<command:inputType><dev:type><maml:name>$(Esc $i.Type)</maml:name></dev:type><maml:description>$(Paras $i.Description)</maml:description></command:inputType>" }
    $outputs = foreach ($o in @($h.Outputs)) { "<command:returnValue><dev:type><maml:name>$(Esc $o.Type)</maml:name></dev:type><maml:description>$(Paras $o.Description)</maml:description></command:returnValue>" }
    $n = 0
    $examples = foreach ($e in @($h.Examples)) {
        $n++
        "<command:example><maml:title>-------------------------- Example $n --------------------------</maml:title><dev:code>$(Esc $e.Code)</dev:code><dev:remarks>$(Paras $e.Remarks)</dev:remarks></command:example>"
    }
    $links = foreach ($l in @($h.Links)) { "<maml:navigationLink><maml:linkText>$(Esc $l)</maml:linkText><maml:uri /></maml:navigationLink>" }
    $notes = if ($h.Notes) { "<maml:alertSet><maml:alert>$(Paras $h.Notes)</maml:alert></maml:alertSet>" } else { '' }
    @"
<command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">
<command:details><command:name>$($cmd.Name)</command:name><command:verb>$($cmd.Verb)</command:verb><command:noun>$($cmd.Noun)</command:noun>
<maml:description>$(Paras $h.Synopsis)</maml:description></command:details>
<maml:description>$(Paras $h.Description)</maml:description>
<command:syntax>$($syntax -join '')</command:syntax>
<command:parameters>$($parameters -join '')</command:parameters>
<command:inputTypes>$($inputs -join '')</command:inputTypes>
<command:returnValues>$($outputs -join '')</command:returnValues>
$notes
<command:examples>$($examples -join '')</command:examples>
<command:relatedLinks>$($links -join '')</command:relatedLinks>
</command:command>
"@
}
if ($problems.Count) { throw "Help is incomplete:`n  " + ($problems -join "`n  ") }
$xml = "<?xml version=`"1.0`" encoding=`"utf-8`"?>`n<helpItems schema=`"maml`" xmlns=`"http://msh`">`n$($commands -join "`n")`n</helpItems>`n"
[xml]$xml | Out-Null  # fail the build on malformed XML rather than ship help that Get-Help silently ignores
New-Item -ItemType Directory -Force -Path (Split-Path $OutFile) | Out-Null
[System.IO.File]::WriteAllText($OutFile, $xml, [System.Text.UTF8Encoding]::new($false))
