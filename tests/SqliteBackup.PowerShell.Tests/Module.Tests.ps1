BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'SqliteBackup module contract' {
    BeforeDiscovery {
        $modulePath = if ($env:SQLITEBACKUP_MODULE) { $env:SQLITEBACKUP_MODULE } else { Join-Path $PSScriptRoot '../../out/SqliteBackup/SqliteBackup.psd1' }
        Import-Module $modulePath -Force
        $script:cmdlets = (Get-Command -Module SqliteBackup).Name | ForEach-Object { @{ Name = $_ } }
    }

    It 'exports exactly the documented cmdlets' {
        (Get-Command -Module SqliteBackup).Name | Sort-Object | Should -Be @(
            'Copy-SqliteBackup', 'Export-SqliteBackupReport', 'Get-BackupSchedule', 'Get-SqliteBackup', 'Get-SqliteBackupConfig', 'Get-SqliteBackupLog', 'Invoke-BackupRotation', 'Invoke-SqliteBackupGuard', 'Invoke-SqliteBackupJob', 'Measure-SqliteBackup', 'New-SqliteBackup', 'New-SqliteBackupConfig', 'New-SqliteBackupKey', 'New-SqliteSampleDatabase', 'Register-BackupSchedule', 'Remove-SqliteBackup', 'Restore-SqliteBackup', 'Test-SqliteBackup', 'Test-SqliteBackupNotification', 'Test-SqliteBackupRepository', 'Unregister-BackupSchedule')
    }

    It '-Debug only adds output: no prompt and no failure under -NonInteractive, as cron runs it' {
        # -Debug makes a compiled cmdlet's debug, verbose and warning preferences Inquire; a -NonInteractive pwsh fails
        # on the first prompt, which used to fail the backup itself.
        $dir = New-TestFolder
        $pwsh = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
        $script = @"
Import-Module '$ModulePath'
`$ErrorActionPreference = 'Stop'
`$db = New-SqliteSampleDatabase '$dir/app.db' -Debug
`$b = New-SqliteBackup `$db.FullName -Debug
`$t = Test-SqliteBackup `$b -Level Full -Debug
Invoke-BackupRotation '$dir/backups' -KeepLast 1 -Debug -Confirm:`$false | Out-Null
"RESULT `$(`$b.Verified) `$(`$t.Passed)"
"@
        $rest = @($pwsh | Select-Object -Skip 1)
        $out = & $pwsh[0] @rest -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" }
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $out | Should -Contain 'RESULT True True'
        @($out | Where-Object { $_ -like '*DEBUG: Verification:*' }).Count | Should -BeGreaterThan 0
    }

    It 'views have no wide blank columns in a 160-column console' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $b = New-SqliteBackup (Join-Path $dir 'app.db') -Verify Quick
        $views = @{
            backup       = $b
            verification = Test-SqliteBackup $b -Level Quick
            rotation     = Invoke-BackupRotation (Join-Path $dir 'backups') -KeepLast 1 -WhatIf
        }
        foreach ($name in $views.Keys) {
            $lines = ($views[$name] | Out-String -Width 160) -split "`n" | ForEach-Object { $_.TrimEnd() } | Where-Object { $_ }
            $lines | Should -Not -BeNullOrEmpty
            foreach ($line in $lines) { $line | Should -Not -Match ' {30}' -Because "the $name view should not pad a column with blanks: '$line'" }
        }
    }

    It 'loads native SQLite from the module folder on this platform' {
        $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
        Invoke-Sql ':memory:' 'SELECT sqlite_version()' | Should -Match '^3\.'
        $m = (Get-Module SqliteBackup).ModuleBase
        foreach ($r in 'win-x64', 'win-x86', 'win-arm64', 'linux-x64', 'linux-arm64', 'linux-arm', 'osx-x64', 'osx-arm64') {
            @(Get-ChildItem (Join-Path $m $r) -Filter 'e_sqlite3.*').Count | Should -Be 1 -Because "$r needs its native library ($rid here)"
        }
    }

    It '<Name> has help: synopsis, description, every parameter, two examples' -ForEach $cmdlets {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "*$Name*[<]*"  # auto-generated syntax instead of a synopsis means no help was found
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($p in (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $ph = $help.Parameters.Parameter | Where-Object Name -eq $p
            ($ph.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$p of $Name needs a description"
        }
    }

    It 'Remove-SqliteBackup confirms by default; Restore-SqliteBackup asks only to replace a database (Medium, see its tests); New-SqliteBackup supports -WhatIf' {
        [System.Management.Automation.CommandMetadata]::new((Get-Command Remove-SqliteBackup)).ConfirmImpact | Should -Be 'High'
        # Creating a new file does not prompt; replacing one asks unless -Force (Restore-SqliteBackup.Tests.ps1, 'confirmation').
        [System.Management.Automation.CommandMetadata]::new((Get-Command Restore-SqliteBackup)).ConfirmImpact | Should -Be 'Medium'
        (Get-Command New-SqliteBackup).Parameters.ContainsKey('WhatIf') | Should -BeTrue
    }

    It '<Name> help SYNTAX shows switches bare and, with ShouldProcess, [-WhatIf] [-Confirm] in every syntax' -ForEach $cmdlets {
        # Get-Help renders a switch with a parameter value as '-Force <SwitchParameter>', as if it needed an argument.
        $rendered = Get-Help $Name | Out-String -Width 4000
        $syntax = ($rendered -split "`n") | ForEach-Object { $_.Trim() } | Where-Object { $_ -like "$Name *" -and $_ -like '*<CommonParameters>*' }
        @($syntax).Count | Should -Be @((Get-Command $Name).ParameterSets).Count -Because "one SYNTAX line per parameter set in:`n$rendered"
        $shouldProcess = [System.Management.Automation.CommandMetadata]::new((Get-Command $Name)).SupportsShouldProcess
        foreach ($text in $syntax) {
            $text | Should -Not -Match '<SwitchParameter>' -Because "a switch takes no value in '$text'"
            $text | Should -Not -Match 'Nullable' -Because "an optional value shows its own type in '$text'"
            foreach ($switch in (Get-Command $Name).Parameters.Values | Where-Object { $_.SwitchParameter -and $_.Name -notin 'Verbose', 'Debug', 'WhatIf', 'Confirm' }) {
                if ($text -match "-$($switch.Name)\b") { $text | Should -Match "\[-$($switch.Name)\]" }
            }
            if ($shouldProcess) { $text | Should -Match '\[-WhatIf\] \[-Confirm\] \[<CommonParameters>\]$' -Because "$Name supports -WhatIf and -Confirm: '$text'" }
            else { $text | Should -Not -Match '-WhatIf|-Confirm' }
        }
    }

    It 'New-SqliteSampleDatabase shows its file as Get-Item does, not a row of blanks' {
        $dir = New-TestFolder
        $file = New-SqliteSampleDatabase (Join-Path $dir 'app.db') -Employees 5
        $file.PSPath | Should -Not -BeNullOrEmpty -Because 'the FileInfo comes through the provider, with Mode, UnixMode, User and Group'
        $lines = ($file | Out-String -Width 160) -split "`n" | ForEach-Object { $_.TrimEnd() } | Where-Object { $_ }
        $row = $lines | Where-Object { $_ -like '*app.db' }
        $row | Should -Not -BeNullOrEmpty
        $row | Should -Not -Match ' {20}' -Because "no column of the file's row is blank: '$row'"
        $row | Should -Be (((Get-Item $file.FullName) | Out-String -Width 160) -split "`n" | ForEach-Object { $_.TrimEnd() } | Where-Object { $_ -like '*app.db' })
    }

    It 'has an about_SqliteBackup topic' {
        (Get-Help about_SqliteBackup | Out-String) | Should -Match 'consistent online backups'
    }
}
