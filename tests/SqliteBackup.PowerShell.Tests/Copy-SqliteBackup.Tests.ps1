BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Copy-SqliteBackup' {
    BeforeEach {
        $script:dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $script:backups = Join-Path $dir 'backups'
        $script:offsite = Join-Path $dir 'offsite'
        $script:b = New-SqliteBackup (Join-Path $dir 'app.db') -BackupPath $backups
    }

    It 'copies data and manifest, and the copy lists, verifies and restores like the original' {
        $r = $b | Copy-SqliteBackup -BackupPath $offsite
        $r.Status | Should -Be 'Copied'
        $copy = Get-SqliteBackup $offsite
        $copy.Id | Should -Be $b.Id
        $copy.Manifest.StoredSha256 | Should -Be $b.Manifest.StoredSha256
        $copy.Manifest.CopiedFrom | Should -Be $b.Path
        (Get-FileHash -Algorithm SHA256 $copy.Path).Hash | Should -Be $b.Manifest.StoredSha256
        if (-not $IsWindows) { (Get-Item $copy.Path).UnixMode | Should -Be '-rw-------' }
        (Test-SqliteBackup $copy -VerificationLevel Full).Passed | Should -BeTrue
        $copy | Restore-SqliteBackup -Destination (Join-Path $dir 'restored.db')
        Invoke-Sql (Join-Path $dir 'restored.db') 'SELECT count(*) FROM employees' | Should -Be (Invoke-Sql (Join-Path $dir 'app.db') 'SELECT count(*) FROM employees')
    }

    It 'onto a full or read-only disk is a clear error for a backup, a snapshot and an export, leaves nothing listed, and copies once there is room' {
        $disk = Join-Path $dir 'disk'
        if (-not (Mount-TestTmpfs $disk 'size=1m,mode=0700')) { Set-ItResult -Skipped -Because 'needs root to mount a tmpfs'; return }
        try {
            $big = Join-Path $dir 'big.db'
            Invoke-Sql $big "CREATE TABLE t(pad); INSERT INTO t SELECT randomblob(2000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000) SELECT i FROM n);" | Out-Null
            $plain = New-SqliteBackup $big -BackupPath (Join-Path $dir 'plain') -VerificationLevel Quick
            $snap = New-SqliteBackup $big -BackupPath (Join-Path $dir 'repo') -Incremental -VerificationLevel Quick
            foreach ($case in @(@{ B = $plain; To = 'p'; AsPlain = $false }, @{ B = $snap; To = 's'; AsPlain = $false }, @{ B = $snap; To = 'x'; AsPlain = $true })) {
                $to = Join-Path $disk $case.To
                $case.B | Copy-SqliteBackup -BackupPath $to -AsPlain:$case.AsPlain -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
                $errs[0].FullyQualifiedErrorId | Should -BeLike 'DiskFull,*'
                $errs[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
                $errs[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
                @(Get-SqliteBackup $to -ErrorAction SilentlyContinue).Count | Should -Be 0
                Get-ChildItem -Force $to -Filter '.sqlitebackup-*' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            }
            & mount -o remount,ro $disk
            $plain | Copy-SqliteBackup -BackupPath (Join-Path $disk 'p') -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'DestinationNotWritable,*'
            & mount -o remount,rw,size=16m $disk
            ($snap | Copy-SqliteBackup -BackupPath (Join-Path $disk 's')).Status | Should -Be 'Copied'
            (Get-SqliteBackup (Join-Path $disk 's') | Test-SqliteBackup -VerificationLevel Full).Passed | Should -BeTrue
        }
        finally { Dismount-TestTmpfs $disk }
    }

    It 'takes the destination by position, piped and after a backup file' {
        (Get-SqliteBackup $backups | Copy-SqliteBackup $offsite).Status | Should -Be 'Copied'
        (Get-SqliteBackup $offsite).Id | Should -Be $b.Id
        $other = Join-Path $dir 'other'
        (Copy-SqliteBackup $b.Path $other).Status | Should -Be 'Copied'
        (Get-SqliteBackup $other).Id | Should -Be $b.Id
        { Copy-SqliteBackup $b.Path } | Should -Throw -ErrorId 'CopyDestinationMissing,*'
    }

    It 'is idempotent: the same backup again is AlreadyPresent and nothing is rewritten' {
        $b | Copy-SqliteBackup -BackupPath $offsite | Out-Null
        $before = (Get-Item (Join-Path $offsite "$($b.Manifest.File).manifest.json")).LastWriteTimeUtc
        Start-Sleep -Milliseconds 20
        (Get-SqliteBackup $backups | Copy-SqliteBackup -BackupPath $offsite).Status | Should -Be 'AlreadyPresent'
        (Get-Item (Join-Path $offsite "$($b.Manifest.File).manifest.json")).LastWriteTimeUtc | Should -Be $before
    }

    It 'never overwrites a different backup of the same name: CopyConflict, the destination untouched' {
        New-Item -ItemType Directory $offsite | Out-Null
        if (-not $IsWindows) { chmod 700 $offsite }
        $foreign = Join-Path $offsite $b.Manifest.File
        Set-Content $foreign 'not this backup'
        $r = $b | Copy-SqliteBackup -BackupPath $offsite -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'CopyConflict*'
        Get-Content $foreign | Should -Be 'not this backup'
        Test-Path "$foreign.manifest.json" | Should -BeFalse
    }

    It 'finishes a copy that was interrupted after the data object: only the manifest is written' {
        New-Item -ItemType Directory $offsite | Out-Null
        if (-not $IsWindows) { chmod 700 $offsite }
        Copy-Item $b.Path (Join-Path $offsite $b.Manifest.File)
        @(Get-SqliteBackup $offsite).Count | Should -Be 0
        ($b | Copy-SqliteBackup -BackupPath $offsite).Status | Should -Be 'Copied'
        (Get-SqliteBackup $offsite).Id | Should -Be $b.Id
    }

    It 'refuses a source whose bytes no longer match its manifest, and leaves nothing at the destination' {
        $bytes = [IO.File]::ReadAllBytes($b.Path)
        $bytes[100] = $bytes[100] -bxor 0xFF
        [IO.File]::WriteAllBytes($b.Path, $bytes)
        $b | Copy-SqliteBackup -BackupPath $offsite -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupChecksumMismatch*'
        @(Get-ChildItem -Force $offsite).Count | Should -Be 0
    }

    It 'changes nothing with -WhatIf' {
        $b | Copy-SqliteBackup -BackupPath $offsite -WhatIf
        Test-Path $offsite | Should -BeFalse
    }

    It 'takes backups by path and the destination positionally' {
        (Copy-SqliteBackup $b.Path $offsite).Status | Should -Be 'Copied'
    }
}
