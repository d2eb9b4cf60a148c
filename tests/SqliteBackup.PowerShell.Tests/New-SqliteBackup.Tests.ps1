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

Describe 'New-SqliteBackup -Path wildcards, -LiteralPath and sidecar files' {
    It 'expands a wildcard and passes over the -wal, -shm and -journal files and folders that a wildcard or Get-ChildItem brings along' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') -Employees 5 | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'crm.db') -Employees 5 -JournalMode Delete | Out-Null
        # A leftover empty journal (SQLite ignores one), and a live WAL database: its -wal and -shm exist while it is open.
        New-Item -ItemType File (Join-Path $dir 'crm.db-journal') | Out-Null
        $c = [Microsoft.Data.Sqlite.SqliteConnection]::new("Data Source=$(Join-Path $dir 'app.db');Pooling=False")
        try {
            $c.Open()
            $cmd = $c.CreateCommand(); $cmd.CommandText = 'CREATE TABLE w (x); INSERT INTO w VALUES (1);'; $null = $cmd.ExecuteNonQuery()
            @(Get-ChildItem $dir -Name) | Should -Contain 'app.db-wal'
            @(Get-ChildItem $dir -Name) | Should -Contain 'app.db-shm'

            $made = New-SqliteBackup (Join-Path $dir '*') -Verify None -ErrorVariable e1 -ErrorAction SilentlyContinue
            $e1 | Should -BeNullOrEmpty
            ($made.Database | Sort-Object) | Should -Be @('app', 'crm')

            # Now the listing also holds the backups folder.
            $piped = Get-ChildItem $dir | New-SqliteBackup -Verify None -ErrorVariable e2 -ErrorAction SilentlyContinue
            $e2 | Should -BeNullOrEmpty
            ($piped.Database | Sort-Object) | Should -Be @('app', 'crm')
        }
        finally { $c.Dispose() }
        # Named on its own a sidecar is still an error, not silently nothing.
        New-SqliteBackup (Join-Path $dir 'crm.db-journal') -Verify None -ErrorVariable e3 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e3.Count | Should -Be 1
    }

    It 'takes -LiteralPath (PSPath, LP) for a name with wildcard characters; a wildcard that matches nothing is PathWildcardNoMatch' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app[1].db') -Employees 5 | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'app1.db') -Employees 5 | Out-Null
        $literal = Join-Path $dir 'app[1].db'
        (New-SqliteBackup -LiteralPath $literal -Verify None).SourcePath | Should -Be $literal
        (New-SqliteBackup -LP $literal -Verify None).SourcePath | Should -Be $literal
        # As a pattern, [1] is the character 1.
        (New-SqliteBackup -Path $literal -Verify None).SourcePath | Should -Be (Join-Path $dir 'app1.db')
        # Escaped, as in the provider cmdlets, the brackets are themselves.
        (New-SqliteBackup -Path (Join-Path $dir 'app`[1`].db') -Verify None).SourcePath | Should -Be $literal
        # Get-ChildItem's objects bind by PSPath, literally, whatever their name.
        (Get-ChildItem $dir -Filter '*.db' | New-SqliteBackup -Verify None).SourcePath | Sort-Object | Should -Be (@((Join-Path $dir 'app1.db'), $literal) | Sort-Object)

        New-SqliteBackup (Join-Path $dir 'nothing*.db') -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be 'PathWildcardNoMatch,SqliteBackup.PowerShell.NewSqliteBackupCommand'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e[0].ErrorDetails.RecommendedAction | Should -Match 'LiteralPath'
        # A literal path that does not exist keeps its own error.
        New-SqliteBackup -LiteralPath (Join-Path $dir 'gone[1].db') -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e2[0].FullyQualifiedErrorId | Should -Be 'DatabaseNotFound,SqliteBackup.PowerShell.NewSqliteBackupCommand'
    }
}
