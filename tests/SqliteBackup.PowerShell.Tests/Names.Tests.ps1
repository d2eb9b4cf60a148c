BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

    # Every name a parameter answers to on a command: its own and its aliases (abbreviations are not names).
    function Get-ParameterNames([string] $Command) {
        $cmd = Get-Command $Command
        foreach ($p in $cmd.Parameters.Values) { $p.Name; $p.Aliases }
    }

    # The module commands a piece of PowerShell calls, with each parameter name it passes.
    function Get-ParameterUse([string] $Code, [string] $Where) {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors)
        $ours = (Get-Command -Module SqliteBackup).Name
        foreach ($c in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            $name = $c.GetCommandName()
            if ($name -notin $ours) { continue }
            foreach ($e in $c.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                [pscustomobject]@{ Command = $name; Parameter = $e.ParameterName; Where = $Where }
            }
        }
    }
}

Describe 'One name per concept' {
    # The canonical name of each concept on every cmdlet that takes it, and the old names that keep old scripts working.
    It '<Command> calls the <Concept> -<Name> (aliases <Aliases>)' -ForEach @(
        @{ Concept = 'verification level'; Command = 'New-SqliteBackup'; Name = 'VerificationLevel'; Aliases = 'Verify', 'Level', 'Verification' }
        @{ Concept = 'verification level'; Command = 'Test-SqliteBackup'; Name = 'VerificationLevel'; Aliases = 'Level', 'Verify', 'Verification' }
        @{ Concept = 'verification level'; Command = 'New-SqliteBackupConfig'; Name = 'VerificationLevel'; Aliases = 'Verification', 'Verify', 'Level' }
        @{ Concept = 'backup location'; Command = 'New-SqliteBackup'; Name = 'BackupPath'; Aliases = 'Destination', 'BackupDirectory' }
        @{ Concept = 'backup location'; Command = 'New-SqliteBackupConfig'; Name = 'BackupPath'; Aliases = 'BackupDirectory', 'Destination' }
        @{ Concept = 'backup location'; Command = 'Register-BackupSchedule'; Name = 'BackupPath'; Aliases = 'Destination', 'BackupDirectory' }
        @{ Concept = 'backup location'; Command = 'Copy-SqliteBackup'; Name = 'BackupPath'; Aliases = 'Destination', 'BackupDirectory' }
        @{ Concept = 'backup location'; Command = 'Get-SqliteBackup'; Name = 'Path'; Aliases = 'FullName', 'BackupPath' }
        @{ Concept = 'backup location'; Command = 'Measure-SqliteBackup'; Name = 'Path'; Aliases = @('BackupPath') }
        @{ Concept = 'backup location'; Command = 'Invoke-BackupRotation'; Name = 'Path'; Aliases = 'FullName', 'BackupPath' }
        @{ Concept = 'daily count'; Command = 'New-SqliteBackupConfig'; Name = 'KeepDaily'; Aliases = @('RetentionDays') }
        @{ Concept = 'weekly count'; Command = 'New-SqliteBackupConfig'; Name = 'KeepWeekly'; Aliases = @('RetentionWeeks') }
        @{ Concept = 'monthly count'; Command = 'New-SqliteBackupConfig'; Name = 'KeepMonthly'; Aliases = @('RetentionMonths') }
        @{ Concept = 'time of day'; Command = 'New-SqliteBackupConfig'; Name = 'At'; Aliases = @('BackupTime') }
        @{ Concept = 'daily count'; Command = 'Invoke-BackupRotation'; Name = 'KeepDaily'; Aliases = @('RetentionDays') }
        @{ Concept = 'weekly count'; Command = 'Invoke-BackupRotation'; Name = 'KeepWeekly'; Aliases = @('RetentionWeeks') }
        @{ Concept = 'monthly count'; Command = 'Invoke-BackupRotation'; Name = 'KeepMonthly'; Aliases = @('RetentionMonths') }
        @{ Concept = 'time of day'; Command = 'Register-BackupSchedule'; Name = 'At'; Aliases = @('BackupTime') }
    ) {
        $p = (Get-Command $Command).Parameters[$Name]
        $p | Should -Not -BeNullOrEmpty -Because "-$Name is the one name for the $Concept"
        $p.Aliases | Sort-Object | Should -Be ($Aliases | Sort-Object)
    }

    It 'no cmdlet has a parameter named like another concept''s old name without being that alias' {
        # An old name that became an alias somewhere must not live on elsewhere as a parameter of its own.
        $old = 'Verify', 'Verification', 'BackupDirectory', 'RetentionDays', 'RetentionWeeks', 'RetentionMonths', 'BackupTime'
        $own = foreach ($c in Get-Command -Module SqliteBackup) { $c.Parameters.Values | Where-Object Name -in $old | ForEach-Object { "$($c.Name) -$($_.Name)" } }
        $own | Should -BeNullOrEmpty
    }

    It 'the old names still bind: -Verify, -Level, -Destination, -RetentionDays, -BackupTime' {
        $dir = New-TestFolder
        $db = New-TinyDatabase (Join-Path $dir 'app.db')
        $b = New-SqliteBackup $db.FullName -Destination (Join-Path $dir 'old') -Verify Quick
        $b.Manifest.Verifications[-1].Level | Should -Be 'Quick'
        (Test-SqliteBackup $b -Level Full).Level | Should -Be 'Full'
        $config = New-SqliteBackupConfig (Join-Path $dir 'b.json') -Database $db.FullName -BackupDirectory (Join-Path $dir 'cfg') -RetentionDays 3 -BackupTime 04:15 -Verification Quick
        $config.RetentionDays | Should -Be 3
        $config.BackupTime | Should -Be ([TimeOnly]::new(4, 15))
        $config.Verification | Should -Be 'Quick'
        (Invoke-BackupRotation (Join-Path $dir 'old') -RetentionDays 1 -RetentionWeeks 0 -RetentionMonths 0 -WhatIf).Action | Should -Be 'Keep'
    }
}

Describe 'Messages and examples name real parameters' {
    It 'every -Parameter a message of ours names is a parameter or alias of one of our cmdlets' {
        $known = @(foreach ($c in Get-Command -Module SqliteBackup) { Get-ParameterNames $c.Name }) + $common
        $known += 'NoProfile', 'NonInteractive', 'File', 'Filter'   # pwsh's and Get-ChildItem's, quoted as they are
        $strays = foreach ($f in Get-ChildItem (Join-Path $repo 'src') -Recurse -Filter *.cs | Where-Object FullName -notmatch '[\\/](obj|bin)[\\/]') {
            $text = Get-Content -Raw $f.FullName
            foreach ($s in [regex]::Matches($text, '"(?:[^"\\]|\\.)*"')) {
                foreach ($m in [regex]::Matches($s.Value, '(?<=^"|[\s(`''])-([A-Z][A-Za-z]+)\b')) {
                    if ($m.Groups[1].Value -notin $known) { "$($f.Name): -$($m.Groups[1].Value)" }
                }
            }
        }
        $strays | Should -BeNullOrEmpty
    }

    It 'every example in the help and the README binds: each parameter it passes exists on that command' {
        $uses = @(
            foreach ($f in Get-ChildItem (Join-Path $repo 'module/help') -Filter *.psd1) {
                $h = Import-PowerShellDataFile $f.FullName
                foreach ($e in @($h.Examples)) { if ($e) { Get-ParameterUse $e.Code "$($f.Name) example" } }
            }
            $readme = Get-Content -Raw (Join-Path $repo 'README.md')
            foreach ($block in [regex]::Matches($readme, '```powershell\r?\n(.*?)```', 'Singleline')) { Get-ParameterUse $block.Groups[1].Value 'README.md' }
        )
        $uses.Count | Should -BeGreaterThan 20
        $bad = foreach ($u in $uses) {
            if ($u.Parameter -notin @(Get-ParameterNames $u.Command) -and $u.Parameter -notin $common) { "$($u.Where): $($u.Command) -$($u.Parameter)" }
        }
        $bad | Should -BeNullOrEmpty
    }
}
