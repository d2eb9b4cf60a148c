BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'SqliteBackup module contract' {
    BeforeDiscovery {
        $modulePath = if ($env:SQLITEBACKUP_MODULE) { $env:SQLITEBACKUP_MODULE } else { Join-Path $PSScriptRoot '../../out/SqliteBackup/SqliteBackup.psd1' }
        Import-Module $modulePath -Force
        $script:cmdlets = (Get-Command -Module SqliteBackup).Name | ForEach-Object { @{ Name = $_ } }
    }

    It 'exports exactly the documented cmdlets' {
        (Get-Command -Module SqliteBackup).Name | Sort-Object | Should -Be @(
            'Export-SqliteBackupReport', 'Get-BackupSchedule', 'Get-SqliteBackup', 'Get-SqliteBackupConfig', 'Get-SqliteBackupLog', 'Invoke-BackupRotation', 'Invoke-SqliteBackupJob', 'Measure-SqliteBackup', 'New-SqliteBackup', 'New-SqliteBackupConfig', 'New-SqliteSampleDatabase', 'Register-BackupSchedule', 'Remove-SqliteBackup', 'Restore-SqliteBackup', 'Test-SqliteBackup', 'Test-SqliteBackupNotification', 'Unregister-BackupSchedule')
    }

    It '-Debug only adds output: no prompt, no failure, in a session that cannot prompt' {
        # -Debug makes a compiled cmdlet's debug, verbose and warning preferences Inquire; a runspace without a UI (like
        # cron's -NonInteractive pwsh) fails on the first prompt, which used to fail the backup itself.
        $dir = New-TestFolder
        $r = Invoke-InRunspace @"
`$db = New-SqliteSampleDatabase '$dir/app.db' -Debug
`$b = New-SqliteBackup `$db.FullName -Debug; `$b
Test-SqliteBackup `$b -Level Full -Debug
Invoke-BackupRotation '$dir/backups' -KeepLast 1 -Debug -Confirm:`$false
"@
        $r.Errors | Should -BeNullOrEmpty
        @($r.Output | Where-Object { $_ -is [SqliteBackup.Core.BackupInfo] }).Count | Should -Be 1
        @($r.Output | Where-Object { $_ -is [SqliteBackup.Core.VerificationResult] })[0].Passed | Should -BeTrue
        $r.Debug.Count | Should -BeGreaterThan 0
        $r.Verbose.Count | Should -BeGreaterThan 0
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

    It 'Restore-SqliteBackup and Remove-SqliteBackup confirm by default; New-SqliteBackup supports -WhatIf' {
        foreach ($n in 'Restore-SqliteBackup', 'Remove-SqliteBackup') {
            $meta = [System.Management.Automation.CommandMetadata]::new((Get-Command $n))
            $meta.ConfirmImpact | Should -Be 'High'
        }
        (Get-Command New-SqliteBackup).Parameters.ContainsKey('WhatIf') | Should -BeTrue
    }

    It 'has an about_SqliteBackup topic' {
        (Get-Help about_SqliteBackup | Out-String) | Should -Match 'consistent online backups'
    }
}
