BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'New-SqliteBackup' {
    It 'backs up into ./backups beside the database with zstd, Standard verification and type Manual by default' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $b = New-SqliteBackup -Path (Join-Path $dir 'app.db')
        $b | Should -BeOfType ([SqliteBackup.Core.Catalog.BackupInfo])
        $b.Path | Should -BeLike (Join-Path $dir 'backups' 'app_*_manual_*.db.zst')
        $b.Type | Should -Be 'Manual'
        $b.Compression | Should -Be 'Zstd'
        $b.Verified | Should -BeTrue
        $b.Manifest.Verifications[0].Level | Should -Be 'Standard'
        $b.Size | Should -Be (Get-Item $b.Path).Length
        $b.Manifest.TableRowCounts['employees'] | Should -Be 100
        Test-Path "$($b.Path).manifest.json" | Should -BeTrue
    }

    It 'reads a checkpointed WAL database through SQLite''s own file handle when loaded as a module' {
        # The file-read snapshot calls into the native e_sqlite3 from Core; if pwsh could not resolve it there, every
        # WAL backup would quietly fall back to the slower backup-API copy.
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'wal.db') | Out-Null
        $b = New-SqliteBackup (Join-Path $dir 'wal.db') -Compression None -Verify Quick
        $b.Manifest.JournalMode | Should -Be 'wal'
        $b.Manifest.SnapshotMethod | Should -Be 'FileRead'
        if (-not (Get-Command sqlite3 -ErrorAction SilentlyContinue)) {
            if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'sqlite3 is required here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'sqlite3 is not installed'
            return
        }
        & sqlite3 $b.Path 'PRAGMA integrity_check; SELECT count(*) FROM employees;' | Should -Be @('ok', '100')
    }

    It 'refuses an empty file before writing anything' {
        $dir = New-TestFolder
        $empty = Join-Path $dir 'empty.db'
        [IO.File]::WriteAllBytes($empty, [byte[]]@())
        { New-SqliteBackup $empty -ErrorAction Stop } | Should -Throw -ErrorId 'DatabaseFileEmpty,SqliteBackup.PowerShell.NewSqliteBackupCommand'
        Test-Path (Join-Path $dir 'backups') | Should -BeFalse
    }

    It 'resolves relative paths against the PowerShell location, not the process directory' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'rel.db') | Out-Null
        Push-Location $dir
        try { $b = New-SqliteBackup rel.db -Destination out -Compression Gzip -Verify Full -Tag release-1 }
        finally { Pop-Location }
        $b.Path | Should -BeLike (Join-Path $dir 'out' 'rel_*.db.gz')
        $b.Tags | Should -Be @('release-1')
        $b.Manifest.Verifications[0].Level | Should -Be 'Full'
    }

    It 'takes database files from the pipeline: Get-ChildItem *.db | New-SqliteBackup' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'one.db') | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'two.db') | Out-Null
        $backups = Get-ChildItem (Join-Path $dir '*.db') | New-SqliteBackup -Destination (Join-Path $dir 'b') -Type Automatic
        $backups.Count | Should -Be 2
        ($backups.Database | Sort-Object) | Should -Be @('one', 'two')
        $backups.Type | Should -Be @('Automatic', 'Automatic')
    }

    It 'does nothing with -WhatIf' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        New-SqliteBackup (Join-Path $dir 'app.db') -WhatIf | Should -BeNullOrEmpty
        Test-Path (Join-Path $dir 'backups') | Should -BeFalse
    }

    It 'reports a missing database as a non-terminating ObjectNotFound error and goes on with the next one' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'good.db') | Out-Null
        $out = (Join-Path $dir 'missing.db'), (Join-Path $dir 'good.db') | New-SqliteBackup -ErrorVariable errs -ErrorAction SilentlyContinue
        $out.Database | Should -Be 'good'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'DatabaseNotFound,SqliteBackup.PowerShell.NewSqliteBackupCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'says a directory given as -Path is a directory, not that it does not exist' {
        $dir = New-TestFolder
        { New-SqliteBackup $dir -ErrorAction Stop } | Should -Throw -ErrorId 'DatabasePathIsDirectory,SqliteBackup.PowerShell.NewSqliteBackupCommand' -ExpectedMessage "*'$dir' is a directory, not a database file*"
        Test-Path (Join-Path $dir 'backups') | Should -BeFalse
    }

    It 'refuses a file that is not SQLite with NotASqliteDatabase and leaves nothing behind' {
        $dir = New-TestFolder
        Set-Content (Join-Path $dir 'notes.db') 'not a database'
        { New-SqliteBackup (Join-Path $dir 'notes.db') -ErrorAction Stop } | Should -Throw -ErrorId 'NotASqliteDatabase,SqliteBackup.PowerShell.NewSqliteBackupCommand'
        @(Get-ChildItem (Join-Path $dir 'backups') -Force -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'does not accept PreRestore as a type: only restores take those' {
        { New-SqliteBackup ./x.db -Type PreRestore } | Should -Throw -ErrorId 'ParameterArgumentValidationError,SqliteBackup.PowerShell.NewSqliteBackupCommand'
    }

    It 'writes progress and surfaces the engine log as verbose output' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $r = Invoke-InRunspace "New-SqliteBackup '$(Join-Path $dir 'app.db')' -Verbose"
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Count | Should -Be 1
        ($r.Progress | Where-Object { $_.StatusDescription -like 'Copying pages*' -or $_.StatusDescription -like 'Reading and compressing*' }).Count | Should -BeGreaterThan 0
        ($r.Progress | Where-Object RecordType -eq 'Completed').Count | Should -BeGreaterThan 0
        ($r.Verbose.Message -join "`n") | Should -Match 'Backup [0-9a-f]+ of app written'
    }
}
