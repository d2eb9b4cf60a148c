BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Get-SqliteBackup' {
    BeforeAll {
        $script:dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        New-TinyDatabase (Join-Path $dir 'tiny.db') | Out-Null
        $script:backupDir = Join-Path $dir 'backups'
        $script:made = @(
            New-SqliteBackup (Join-Path $dir 'app.db') -Type Manual
            New-SqliteBackup (Join-Path $dir 'app.db') -Type Automatic
            New-SqliteBackup (Join-Path $dir 'tiny.db') -Type Automatic -Verify Quick
        )
    }

    It 'lists every backup, oldest first, as BackupInfo objects' {
        $all = Get-SqliteBackup $backupDir
        $all.Count | Should -Be 3
        $all.Id | Should -Be $made.Id
        $all[0] | Should -BeOfType ([SqliteBackup.Core.Catalog.BackupInfo])
        $all[0].Created.Kind | Should -Be 'Local'
        $all[0].CreatedUtc.Kind | Should -Be 'Utc'
    }

    It 'reads ./backups when no path is given' {
        Push-Location $dir
        try { (Get-SqliteBackup).Count | Should -Be 3 } finally { Pop-Location }
    }

    It 'filters by database (wildcards), type, latest and since' {
        (Get-SqliteBackup $backupDir -Database 'ap*').Count | Should -Be 2
        (Get-SqliteBackup $backupDir -Type Manual).Id | Should -Be $made[0].Id
        (Get-SqliteBackup $backupDir -Latest 1).Id | Should -Be @($made[1].Id, $made[2].Id)
        (Get-SqliteBackup $backupDir -Since (Get-Date).AddMinutes(10)) | Should -BeNullOrEmpty
        (Get-SqliteBackup $backupDir -Since (Get-Date).AddMinutes(-10)).Count | Should -Be 3
    }

    It '-Latest prefers backups dated up to now over one dated in the future, and warns about it' {
        $d = New-TestFolder
        New-TinyDatabase (Join-Path $d 'x.db') | Out-Null
        $real = New-SqliteBackup (Join-Path $d 'x.db') -Destination (Join-Path $d 'b') -Verify None
        $ahead = New-SqliteBackup (Join-Path $d 'x.db') -Destination (Join-Path $d 'b') -Verify None
        Set-BackupCreated $ahead ([datetime]::UtcNow.AddYears(1))
        $latest = Get-SqliteBackup (Join-Path $d 'b') -Latest 1 -WarningVariable w -WarningAction SilentlyContinue
        $latest.Id | Should -Be $real.Id
        "$w" | Should -BeLike "*$($ahead.Path)*in the future*passed it over*"
        # With nothing else to pick it is still listed, never silently.
        $only = Get-SqliteBackup (Join-Path $d 'b') -Latest 1 -Type Manual -Since ([datetime]::Now.AddMonths(6)) -WarningVariable w2 -WarningAction SilentlyContinue
        $only.Id | Should -Be $ahead.Id
        "$w2" | Should -BeLike "*$($ahead.Path)*may not be the newest*"
        # Listing without -Latest shows everything, without a warning.
        @(Get-SqliteBackup (Join-Path $d 'b') -WarningVariable w3).Count | Should -Be 2
        @($w3).Count | Should -Be 0
    }

    It 'runs "Get-SqliteBackup | Where Size -lt 1KB | Test-SqliteBackup" exactly as written' {
        Push-Location $dir
        try { $results = Get-SqliteBackup | Where Size -lt 1KB | Test-SqliteBackup }
        finally { Pop-Location }
        @($results).Count | Should -Be 1
        $results.Database | Should -Be 'tiny'
        $results.Passed | Should -BeTrue
        $results.Level | Should -Be 'Standard'
    }

    It 'shows a table with human-readable sizes by default' {
        $text = Get-SqliteBackup $backupDir | Out-String -Width 120
        $text | Should -Match 'Created\s+Database\s+Type\s+Format\s+Size\s+Compression\s+Verified'
        $text | Should -Match '\d+(\.\d)? KB'
        $text | Should -Match 'app\s+Manual'
    }

    It 'ignores files without a manifest and warns about a damaged manifest' {
        $d = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $d 'x.db') | Out-Null
        $b = New-SqliteBackup (Join-Path $d 'x.db') -Destination (Join-Path $d 'bk')
        Copy-Item $b.Path (Join-Path $d 'bk' 'x_20200101-000000_manual_0000aaaa.db.zst')
        Set-Content (Join-Path $d 'bk' 'y_20200101-000000_manual_0000bbbb.db.zst.manifest.json') '{ broken'
        $list = Get-SqliteBackup (Join-Path $d 'bk') -WarningVariable warnings -WarningAction SilentlyContinue
        @($list).Count | Should -Be 1
        ($warnings -join "`n") | Should -Match 'not valid JSON'
    }

    It 'says a database file given as the path is a database, and how to list its backups' {
        $e = $null
        Get-SqliteBackup (Join-Path $dir 'app.db') -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'BackupPathIsDatabase,SqliteBackup.PowerShell.GetSqliteBackupCommand'
        "$($e[0])" | Should -Match "is a database file, not a backup directory"
        $e[0].ErrorDetails.RecommendedAction | Should -Match 'Get-SqliteBackup -Database app'
        $e[0].ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape((Join-Path $dir 'backups')))
    }

    It 'reports a missing directory as BackupDirectoryNotFound' {
        { Get-SqliteBackup (Join-Path $dir 'nope') -ErrorAction Stop } | Should -Throw -ErrorId 'BackupDirectoryNotFound,SqliteBackup.PowerShell.GetSqliteBackupCommand'
    }
}

Describe 'The backup log beside the backups' {
    It 'records what New-, Test-, Restore-, Remove-SqliteBackup and Invoke-BackupRotation did' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $backups = Join-Path $dir 'backups'
        $b1 = New-SqliteBackup (Join-Path $dir 'app.db') -Type Automatic
        $b2 = New-SqliteBackup (Join-Path $dir 'app.db') -Type Automatic
        $b1 | Test-SqliteBackup -Level Quick | Out-Null
        $b1 | Restore-SqliteBackup -Destination (Join-Path $dir 'copy.db') -Confirm:$false | Out-Null
        Invoke-BackupRotation $backups -KeepLast 1 -Confirm:$false | Out-Null
        $manual = New-SqliteBackup (Join-Path $dir 'app.db')
        $manual | Remove-SqliteBackup -Confirm:$false
        $events = (Get-SqliteBackupLog $backups).Event
        foreach ($e in 'BackupStarted', 'BackupSucceeded', 'VerificationPassed', 'RestoreCompleted', 'RotationRemoved', 'BackupRemoved') { $events | Should -Contain $e }
        (Get-SqliteBackupLog $backups -Event RotationRemoved).BackupId | Should -Be $b1.Id
    }

    It 'does not create a backup directory just to log a failure' {
        $dir = New-TestFolder
        Set-Content (Join-Path $dir 'x.db') 'not sqlite'
        New-SqliteBackup (Join-Path $dir 'x.db') -ErrorAction SilentlyContinue
        Test-Path (Join-Path $dir 'backups') | Should -BeFalse
    }
}

Describe 'Get-SqliteBackup: orphans and untrusted directories' {
    Context 'orphans' {
        It 'warns about a backup file without a manifest, lists it with -IncludeOrphans, and Test-SqliteBackup registers it' {
            $d = New-TestFolder
            $db = Join-Path $d 'app.db'
            New-SqliteSampleDatabase $db | Out-Null
            $dest = Join-Path $d 'backups'
            $b = New-SqliteBackup $db -Destination $dest -Verify None
            Remove-Item $b.ManifestPath
            (Get-Item $b.Path).LastWriteTimeUtc = (Get-Date).ToUniversalTime().AddDays(-2)

            @(Get-SqliteBackup $dest -WarningVariable warn -WarningAction SilentlyContinue).Count | Should -Be 0
            ($warn -join "`n") | Should -BeLike '*1 backup file(s) without a manifest*'
            $orphan = Get-SqliteBackup $dest -IncludeOrphans -WarningAction SilentlyContinue
            $orphan.IsOrphan | Should -BeTrue
            $orphan.Path | Should -Be $b.Path

            $result = Get-SqliteBackup $dest -IncludeOrphans -WarningAction SilentlyContinue | Where-Object IsOrphan | Test-SqliteBackup -Level Standard
            $result.Passed | Should -BeTrue
            $registered = Get-SqliteBackup $dest
            $registered.Path | Should -Be $b.Path
            $registered.Verified | Should -BeTrue
            $registered.IsOrphan | Should -BeFalse
        }
    }

    Context 'trust' {
        It 'refuses a world-writable (even sticky) directory with InsecureBackupDirectory, unless -AllowInsecureDirectory' -Skip:$IsWindows {
            $d = New-TestFolder
            $db = Join-Path $d 'app.db'
            New-TinyDatabase $db | Out-Null
            $dest = Join-Path $d 'backups'
            New-SqliteBackup $db -Destination $dest -Verify None | Out-Null
            chmod 1777 $dest
            Get-SqliteBackup $dest -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InsecureBackupDirectory*'
            $err[0].ErrorDetails.RecommendedAction + $err[0].CategoryInfo.Reason + $err[0].Exception.Message | Should -Not -BeNullOrEmpty
            @(Get-SqliteBackup $dest -AllowInsecureDirectory).Count | Should -Be 1
            New-SqliteBackup $db -Destination $dest -Verify None -ErrorVariable err2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err2[0].FullyQualifiedErrorId | Should -BeLike 'InsecureBackupDirectory*'
        }
    }
}

Describe 'Get-SqliteBackup -Path wildcards and -LiteralPath, and -Database' {
    BeforeAll {
        $script:root = New-TestFolder
        foreach ($name in 'app', 'app[1]', 'crm') {
            New-TinyDatabase (Join-Path $root "$name.db") | Out-Null
            New-SqliteBackup (Join-Path $root "$name.db") -Destination (Join-Path $root 'one') -Verify None | Out-Null
        }
        New-SqliteBackup (Join-Path $root 'crm.db') -Destination (Join-Path $root '[two]') -Verify None | Out-Null
        $script:one = Join-Path $root 'one'
    }

    It 'lists every folder a wildcard matches, and each backup whose file or manifest it matches once; other files are passed over' {
        $all = Get-SqliteBackup (Join-Path $root '*') -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Should -BeNullOrEmpty
        $all.Count | Should -Be 4
        $files = Get-SqliteBackup (Join-Path $one '*') -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e2 | Should -BeNullOrEmpty -Because 'the backup log and the manifests are not errors'
        $files.Count | Should -Be 3
        (Get-SqliteBackup (Join-Path $one 'crm_*')).Database | Should -Be 'crm'
    }

    It 'lists a backup piped in by its file or manifest once (Get-ChildItem), and passes over other files quietly' {
        $listed = Get-ChildItem $one | Get-SqliteBackup -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Should -BeNullOrEmpty -Because 'the backup log is passed over, not an error'
        $listed.Count | Should -Be 3
        ($listed.Database | Sort-Object) | Should -Be @('app', 'app[1]', 'crm')
        @(Get-ChildItem $one -Filter '*.json' | Get-SqliteBackup).Count | Should -Be 3
        @(Get-ChildItem $one -Filter 'crm_*' | Get-SqliteBackup -Database crm).Count | Should -Be 1
    }

    It 'reads a folder named with wildcard characters by -LiteralPath, and by -Path when the pattern matches nothing' {
        (Get-SqliteBackup -LiteralPath (Join-Path $root '[two]')).Database | Should -Be 'crm'
        (Get-SqliteBackup (Join-Path $root '[two]')).Database | Should -Be 'crm'
        Get-SqliteBackup (Join-Path $root 'zz*') -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -Be 'PathWildcardNoMatch,SqliteBackup.PowerShell.GetSqliteBackupCommand'
    }

    It '-Database is a pattern, literal when its wildcard characters match nothing, and a file name or path finds its database' {
        (Get-SqliteBackup $one -Database 'app[1]').Database | Should -Be 'app[1]'
        (Get-SqliteBackup $one -Database 'app.db').Database | Should -Be 'app'
        (Get-SqliteBackup $one -Database (Join-Path $root 'crm.db')).Database | Should -Be 'crm'
        (Get-SqliteBackup $one -Database 'app[1].db').Database | Should -Be 'app[1]'
        (Get-SqliteBackup $one -Database 'a*').Database | Sort-Object | Should -Be @('app', 'app[1]')
        (Invoke-BackupRotation $one -Database 'app.db' -KeepLast 1 -WhatIf).Database | Should -Be 'app'
        (Get-SqliteBackupLog $one -Database 'app[1].db').Database | Sort-Object -Unique | Should -Be 'app[1]'
    }

    It '-Database has one meaning for the whole command, decided over every database it sees, in every folder and pipeline input' {
        $r = New-TestFolder
        foreach ($name in 'app1', 'app[1]') { New-TinyDatabase (Join-Path $r "$name.db") | Out-Null }
        New-SqliteBackup -LiteralPath (Join-Path $r 'app1.db') -Destination (Join-Path $r 'b5') -Verify None | Out-Null
        New-SqliteBackup -LiteralPath (Join-Path $r 'app[1].db') -Destination (Join-Path $r 'b') -Verify None | Out-Null
        $b5, $b = (Join-Path $r 'b5'), (Join-Path $r 'b')
        # Alone, each folder decides as it must: the pattern where it matches, else the literal name.
        (Get-SqliteBackup $b5 -Database 'app[1]').Database | Should -Be 'app1'
        (Get-SqliteBackup $b -Database 'app[1]').Database | Should -Be 'app[1]'
        # Together, the pattern matches a name the command sees, so it is a pattern in both folders.
        @(Get-SqliteBackup $b5, $b -Database 'app[1]').Database | Should -Be @('app1')
        @($b5, $b | Get-SqliteBackup -Database 'app[1]').Database | Should -Be @('app1')
        @(Get-SqliteBackupLog (Join-Path $r 'b*') -Database 'app[1]').Database | Sort-Object -Unique | Should -Be @('app1')
        @(Get-SqliteBackup $b5, $b -Database 'app`[1`]').Database | Should -Be @('app[1]')
    }
}

Describe '-Database tab completion' {
    BeforeAll {
        $script:croot = New-TestFolder
        foreach ($name in 'app', 'app[1]', 'app1', 'crm') { New-TinyDatabase (Join-Path $croot "$name.db") | Out-Null }
        New-SqliteBackup -LiteralPath (Join-Path $croot 'app.db'), (Join-Path $croot 'app[1].db'), (Join-Path $croot 'app1.db') -Verify None | Out-Null
        New-SqliteBackup -LiteralPath (Join-Path $croot 'crm.db') -Destination (Join-Path $croot 'other') -Verify None | Out-Null
        function Complete([string] $line) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches }
    }

    It 'offers the databases backed up in the location given by -Path, -LiteralPath, or else ./backups' {
        $three = @('app', 'app[1]', 'app1') | Sort-Object
        (Complete "Get-SqliteBackup -Path '$croot/backups' -Database ").ListItemText | Sort-Object | Should -Be $three
        (Complete "Get-SqliteBackup '$croot/other' -Database ").CompletionText | Should -Be 'crm'
        (Complete "Invoke-BackupRotation -LiteralPath '$croot/other' -KeepLast 1 -Database c").CompletionText | Should -Be 'crm'
        (Complete "Get-SqliteBackupLog '$croot/backups' -Database app").ListItemText | Sort-Object | Should -Be $three
        Push-Location $croot
        try { (Complete 'Get-SqliteBackup -Database a').ListItemText | Sort-Object | Should -Be $three }
        finally { Pop-Location }
        Complete "Get-SqliteBackup '$croot/nowhere' -Database " | Should -BeNullOrEmpty
    }

    It 'completes a name with wildcard characters escaped, so that it selects that database alone' {
        $m = Complete "Get-SqliteBackup '$croot/backups' -Database 'app["
        $m.CompletionText | Should -Be "'app``[1``]'"
        # As typed after the completion: the escaped name selects app[1], not app1 (which its pattern would also match).
        (Invoke-Expression "Get-SqliteBackup '$croot/backups' -Database $($m.CompletionText)").Database | Should -Be 'app[1]'
        $m.ToolTip | Should -Match '1 backup'
    }
}

Describe 'Get-SqliteBackup -TimeoutSec' {
    It 'gives up on a remote location that never answers within the limit, and says how to change it' {
        # Connections are accepted (the kernel's backlog) and never answered.
        $silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
        try {
            $port = $silent.LocalEndpoint.Port
            $cred = [pscredential]::new('KEY', (ConvertTo-SecureString 'not-a-real-secret' -AsPlainText -Force))
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $e = $null
            Get-SqliteBackup "s3://bucket/p?endpoint=http://127.0.0.1:$port" -Credential $cred -TimeoutSec 2 -ErrorVariable e -ErrorAction SilentlyContinue
            $watch.Stop()
            $e[0].FullyQualifiedErrorId | Should -BeLike 'StoreUnavailable,*'
            # A retry that could not finish within what is left is not started, and the message says so.
            "$($e[0])" | Should -Match 'gave up after [\d.]+ s(, with no further attempt started: [^(]+)? \(limits: 2 s per operation'
            "$($e[0])" | Should -Match '-TimeoutSec'
            "$($e[0])" | Should -Not -Match 'not-a-real-secret'
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 6
        }
        finally { $silent.Stop() }
    }
}
