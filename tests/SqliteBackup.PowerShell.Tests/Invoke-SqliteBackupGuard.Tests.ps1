BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # A real pwsh for the one-liner an application's migration step runs; the exit code is what the application sees.
    function Invoke-Pwsh([string[]] $Arguments) {
        $pwsh = [Environment]::ProcessPath
        [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { @((Join-Path $PSHOME 'pwsh.dll')) } else { @() }
        $out = (& $pwsh @prefix -NoProfile -NonInteractive @Arguments 2>&1) -join "`n"
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $out }
    }
    $script:guardScript = Join-Path (Split-Path $ModulePath) 'Start-SqliteBackupGuard.ps1'
}

Describe 'Invoke-SqliteBackupGuard parameters' {
    It 'has the documented contract' {
        $c = Get-Command Invoke-SqliteBackupGuard
        $c.Parameters.Keys | Should -Contain 'Path'
        $c.Parameters.Keys | Should -Contain 'ScriptBlock'
        $c.Parameters.Keys | Should -Contain 'BackupPath'
        $c.Parameters.Keys | Should -Contain 'LiteralPath'
        $c.Parameters['BackupPath'].Aliases | Should -Be @('Destination', 'BackupDirectory')
        $c.Parameters.Keys | Should -Contain 'RestoreOnFailure'
        $c.Parameters.Keys | Should -Contain 'ExpectSchemaChange'
        $c.Parameters.Keys | Should -Contain 'Notify'
        $c.Parameters.Keys | Should -Contain 'WhatIf'
        $c.Parameters['Path'].Aliases | Should -Contain 'Database'
        $c.Parameters['ScriptBlock'].ParameterType | Should -Be ([scriptblock])
        $c.Parameters['Type'].Attributes.ValidValues | Should -Not -Contain 'PreRestore'
    }
}

Describe 'Invoke-SqliteBackupGuard' {
    BeforeEach {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $bk = Join-Path $dir 'bk'
    }

    It 'takes a verified PreMigration backup, then runs the script block in the caller''s scope, and outputs one object' {
        $callerValue = 42
        $r = Invoke-SqliteBackupGuard -Path $db -Destination $bk -ScriptBlock {
            (Get-SqliteBackup $bk).Count | Should -Be 1
            Invoke-Sql $db 'CREATE TABLE audit (x); PRAGMA user_version = 4;' | Out-Null
            "seen $callerValue"
        }
        @($r).Count | Should -Be 1
        $r.Outcome | Should -Be 'Succeeded'
        $r.Restored | Should -BeFalse
        $r.Output | Should -Be 'seen 42'
        $r.Backups.Count | Should -Be 1
        $r.Backups[0].Type | Should -Be 'PreMigration'
        $r.Backups[0].Verified | Should -BeTrue
        $r.Databases[0].SchemaBefore.UserVersion | Should -Be 3
        $r.Databases[0].SchemaAfter.UserVersion | Should -Be 4
        (Get-SqliteBackupLog $bk -Event GuardedOperationSucceeded).Count | Should -Be 1
        $shown = $r | Out-String -Width 160
        $shown | Should -Match 'Outcome\s+: Succeeded'
        $shown | Should -Match 'app: PreMigration [0-9a-f]{8}, verified True'
        $shown | Should -Match 'app: user_version 3 -> 4'
    }

    It 'rethrows the original error and leaves the database as the script left it' {
        $err = $null
        try {
            Invoke-SqliteBackupGuard -Path $db -Destination $bk -OutVariable out -ScriptBlock {
                Invoke-Sql $db 'DELETE FROM assignments' | Out-Null
                throw [System.IO.InvalidDataException]::new('migration 7 failed')
            }
        }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.Exception | Should -BeOfType ([System.IO.InvalidDataException])
        $err.Exception.Message | Should -Be 'migration 7 failed'
        $out.Outcome | Should -Be 'Failed'
        $out.Restored | Should -BeFalse
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -Be 0
        (Get-SqliteBackupLog $bk -Event GuardedOperationFailed).Error | Should -Match 'migration 7 failed'
    }

    It 'with -RestoreOnFailure restores the backup (keeping the failed state as PreRestore) and still rethrows, even under $ErrorActionPreference = Stop' {
        $ErrorActionPreference = 'Stop'
        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -RestoreOnFailure -OutVariable script:out -ScriptBlock {
                Invoke-Sql $db 'DELETE FROM assignments; PRAGMA user_version = 99;' | Out-Null
                throw 'half-applied migration'
            } } | Should -Throw 'half-applied migration'
        $script:out.Restored | Should -BeTrue
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -BeGreaterThan 0
        Invoke-Sql $db 'PRAGMA user_version' | Should -Be 3
        $pre = Get-SqliteBackup $bk -Type PreRestore
        $pre.Count | Should -Be 1
        $pre.Manifest.TableRowCounts['assignments'] | Should -Be 0
        (Get-SqliteBackupLog $bk -Event GuardRestored).Count | Should -Be 1
    }

    It 'counts an error written by a command and a native program''s non-zero exit as failures' {
        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -RestoreOnFailure -ScriptBlock {
                Invoke-Sql $db 'DELETE FROM assignments' | Out-Null
                Write-Error 'a non-terminating error'
                'not reached'
            } } | Should -Throw 'a non-terminating error'
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -BeGreaterThan 0

        Invoke-Sql $db 'DELETE FROM assignments' | Out-Null
        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -RestoreOnFailure -ScriptBlock { & sh -c 'exit 3' } } | Should -Throw
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -Be 0 -Because 'the backup taken just before it was of the emptied table'
    }

    It 'counts a .ps1 that ends with exit N, or whose native command fails under Continue, as a failure and restores' {
        $exits = Join-Path $dir 'migrate.ps1'
        Set-Content $exits "& sqlite3 '$db' 'DELETE FROM assignments'`nexit 7"
        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -RestoreOnFailure -OutVariable script:out -ScriptBlock { & $exits } } |
            Should -Throw -ErrorId 'GuardedOperationExitCode,SqliteBackup.PowerShell.InvokeSqliteBackupGuardCommand'
        $script:out.Outcome | Should -Be 'Failed'
        $script:out.Restored | Should -BeTrue
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -BeGreaterThan 0

        $continues = Join-Path $dir 'migrate2.ps1'
        Set-Content $continues "`$ErrorActionPreference = 'Continue'`n& sqlite3 '$db' 'DELETE FROM assignments'`n& sh -c 'exit 4'`n& sh -c 'exit 0'`n'done'"
        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -RestoreOnFailure -OutVariable script:out -ScriptBlock { & $continues } } | Should -Throw '*exit code: 4*'
        $script:out.Outcome | Should -Be 'Failed'
        $script:out.Restored | Should -BeTrue
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -BeGreaterThan 0
    }

    It 'counts exit N written in the block itself as a failure: restored, an error, the result object, and the caller still runs' {
        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -RestoreOnFailure -OutVariable script:out -ScriptBlock {
                Invoke-Sql $db 'DELETE FROM assignments' | Out-Null
                exit 5
            } } | Should -Throw -ErrorId 'GuardedOperationExitCode,SqliteBackup.PowerShell.InvokeSqliteBackupGuardCommand'
        $script:out.Outcome | Should -Be 'Failed'
        $script:out.Restored | Should -BeTrue
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -BeGreaterThan 0
    }

    It 'never runs the script block when a backup fails, with a clear error' {
        $empty = Join-Path $dir 'empty.db'
        New-Item -ItemType File $empty | Out-Null
        $script:ran = $false
        { Invoke-SqliteBackupGuard -Path $db, $empty -Destination $bk -ScriptBlock { $script:ran = $true } -ErrorAction Stop } |
            Should -Throw -ErrorId 'GuardBackupFailed,SqliteBackup.PowerShell.InvokeSqliteBackupGuardCommand'
        $script:ran | Should -BeFalse
        (Get-SqliteBackupLog $bk -Event GuardedOperationNotRun).Count | Should -Be 1
    }

    It '-ExpectSchemaChange reports a migration that changed nothing, and logs the check' {
        $r = Invoke-SqliteBackupGuard -Path $db -Destination $bk -ExpectSchemaChange -ScriptBlock { } -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -Be 'SchemaNotChanged,SqliteBackup.PowerShell.InvokeSqliteBackupGuardCommand'
        $r.Outcome | Should -Be 'Succeeded'
        (Get-SqliteBackupLog $bk -Event SchemaChangeChecked).Level | Should -Be 'Warning'
    }

    It '-ExpectSchemaChange counts a database left unreadable or removed as a failure, not a change, and restores it' {
        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -ExpectSchemaChange -RestoreOnFailure -OutVariable script:out -ScriptBlock { Set-Content $db 'garbage' } } |
            Should -Throw -ErrorId 'SchemaUnreadable,SqliteBackup.PowerShell.InvokeSqliteBackupGuardCommand'
        $script:out.Outcome | Should -Be 'Failed'
        $script:out.Restored | Should -BeTrue
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -BeGreaterThan 0

        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -ExpectSchemaChange -OutVariable script:out -ScriptBlock { Remove-Item $db } } |
            Should -Throw -ErrorId 'SchemaUnreadable,SqliteBackup.PowerShell.InvokeSqliteBackupGuardCommand'
        $script:out.Outcome | Should -Be 'Failed'
        $log = Get-Content (Join-Path $bk 'sqlitebackup-log.jsonl') -Raw
        $log | Should -Not -Match 'Schema of [^"]* changed by'
        $log | Should -Not -Match '\(null\)'
    }

    It 'names the backup location -BackupPath (aliases Destination, BackupDirectory), expands -Path wildcards and takes -LiteralPath as written' {
        New-SqliteSampleDatabase (Join-Path $dir 'app[1].db') | Out-Null
        $r = Invoke-SqliteBackupGuard -Path (Join-Path $dir 'app*.db') -BackupPath $bk -ScriptBlock { }
        @($r.Backups).Count | Should -Be 2
        $r = Invoke-SqliteBackupGuard -LiteralPath (Join-Path $dir 'app[1].db') -BackupDirectory $bk { }
        $r.Databases.Path | Should -Be (Join-Path $dir 'app[1].db')
        $r = Invoke-SqliteBackupGuard $db -Destination $bk { }
        $r.Outcome | Should -Be 'Succeeded'

        $script:ran = $false
        { Invoke-SqliteBackupGuard -Path $db, (Join-Path $dir 'zz*.db') -BackupPath $bk -ScriptBlock { $script:ran = $true } -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathWildcardNoMatch,SqliteBackup.PowerShell.InvokeSqliteBackupGuardCommand'
        $script:ran | Should -BeFalse
    }

    It '-WhatIf shows the plan and changes nothing' {
        $script:ran = $false
        $r = Invoke-SqliteBackupGuard -Path $db -Destination $bk -RestoreOnFailure -ScriptBlock { $script:ran = $true } -WhatIf
        $r | Should -BeNullOrEmpty
        $script:ran | Should -BeFalse
        Test-Path $bk | Should -BeFalse
    }

    It 'notifies a failure before rethrowing' {
        $out = Join-Path $dir 'hook.out'
        $hookScript = Join-Path $dir 'hook.sh'
        Set-Content $hookScript "#!/bin/sh`necho `"`$SQLITEBACKUP_EVENT `$SQLITEBACKUP_DATABASE `$SQLITEBACKUP_STATUS`" > '$out'`n"
        chmod +x $hookScript
        { Invoke-SqliteBackupGuard -Path $db -Destination $bk -Notify $hookScript -ScriptBlock { throw 'x' } -ErrorAction Stop } | Should -Throw 'x'
        Get-Content $out | Should -Be 'GuardedOperationFailed app failure'
    }
}

Describe 'Invoke-SqliteBackupGuard from another program' {
    It 'pwsh -Command: exit 0 on success, non-zero and restored on failure' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $ok = Invoke-Pwsh @('-Command', "Import-Module '$ModulePath'; Invoke-SqliteBackupGuard -Path '$db' -RestoreOnFailure { & sh -c 'exit 0' } | Out-Null")
        $ok.ExitCode | Should -Be 0 -Because $ok.Output
        $bad = Invoke-Pwsh @('-Command', "Import-Module '$ModulePath'; Invoke-SqliteBackupGuard -Path '$db' -RestoreOnFailure { & sqlite3 '$db' 'DELETE FROM assignments'; & sh -c 'exit 5' } | Out-Null")
        $bad.ExitCode | Should -Not -Be 0 -Because $bad.Output
        Invoke-Sql $db 'SELECT count(*) FROM assignments' | Should -BeGreaterThan 0
    }

    It 'pwsh -File Start-SqliteBackupGuard.ps1 runs a program with its arguments as given, exit code 1 when it fails' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'my app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $ok = Invoke-Pwsh @('-File', $guardScript, '-Path', $db, '-RestoreOnFailure', '--', 'sqlite3', $db, 'CREATE TABLE t2 (x); PRAGMA user_version = 5;')
        $ok.ExitCode | Should -Be 0 -Because $ok.Output
        Invoke-Sql $db 'PRAGMA user_version' | Should -Be 5
        $bad = Invoke-Pwsh @('-File', $guardScript, '-Path', $db, '-RestoreOnFailure', '--', 'sh', '-c', "sqlite3 `"`$0`" 'DROP TABLE t2' && exit 7", $db)
        $bad.ExitCode | Should -Be 1 -Because $bad.Output
        Invoke-Sql $db "SELECT count(*) FROM sqlite_schema WHERE name = 't2'" | Should -Be 1
        $migration = Join-Path $dir 'migrate.ps1'
        Set-Content $migration "& sqlite3 '$db' 'DROP TABLE t2'`nexit 7"
        $ps1 = Invoke-Pwsh @('-File', $guardScript, '-Path', $db, '-RestoreOnFailure', '--', $migration)
        $ps1.ExitCode | Should -Be 1 -Because $ps1.Output
        Invoke-Sql $db "SELECT count(*) FROM sqlite_schema WHERE name = 't2'" | Should -Be 1
        $notRun = Invoke-Pwsh @('-File', $guardScript, '-Path', (Join-Path $dir 'missing.db'), '--', 'sh', '-c', 'exit 0')
        $notRun.ExitCode | Should -Be 2 -Because $notRun.Output
    }
}
