BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

# A check that could not run (no space, no permission) is Inconclusive: recorded as such, an error naming the real
# cause, and never a reason for rotation to remove a backup. Only evidence about the backup's own bytes fails it.
Describe 'Verification that cannot run is inconclusive' {
    BeforeEach {
        $script:dir = New-TestFolder
        $script:disk = Join-Path $dir 'disk'
        $script:savedTmp = $env:TMPDIR
    }
    AfterEach {
        $env:TMPDIR = $savedTmp
        Dismount-TestTmpfs $disk
    }

    It 'Test-SqliteBackup with no room for the decompressed copy records Inconclusive, and rotation keeps the backups' {
        if (-not (Mount-TestTmpfs $disk 'size=512k')) { Set-ItResult -Skipped -Because 'needs root to mount a tmpfs'; return }
        $db = (New-CompressibleDatabase (Join-Path $dir 'app.db')).FullName
        $backups = Join-Path $disk 'backups'
        $made = @(New-DailyBackups $db $backups 2 (Get-Date).ToUniversalTime().AddDays(-1))
        # The temporary directory is on the same small disk: wherever the copy goes, it does not fit.
        New-Item -ItemType Directory (Join-Path $disk 'tmp') | Out-Null
        $env:TMPDIR = Join-Path $disk 'tmp'

        # A check that cannot run is not the backup's fault, but someone must hear that checks are not happening.
        $heard = Join-Path $dir 'heard.txt'
        $hook = Join-Path $dir 'hook.sh'
        Set-Content $hook "#!/bin/sh`necho `"`$SQLITEBACKUP_EVENT `$SQLITEBACKUP_STATUS`" >> '$heard'`n"
        chmod +x $hook
        $results = Get-SqliteBackup $backups | Test-SqliteBackup -Level Standard -Notify $hook -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        Get-Content $heard | Should -Be @('VerificationInconclusive failure', 'VerificationInconclusive failure')
        $decisions = Invoke-BackupRotation $backups -KeepDaily 7 -Confirm:$false

        $decisions.Action | Should -Be @('Keep', 'Keep')
        @(Get-SqliteBackup $backups).Count | Should -Be 2
        $results.Outcome | Should -Be @('Inconclusive', 'Inconclusive')
        $results.Passed | Should -Be @($false, $false)
        $errs.Count | Should -Be 2
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DiskFull,*'
        $errs[0].Exception.Message | Should -BeLike "*$backups*"
        $errs[0].ErrorDetails.RecommendedAction | Should -BeLike '*-ScratchPath*'
        foreach ($b in Get-SqliteBackup $backups) {
            $b.Manifest.Verifications[-1].Outcome | Should -Be 'Inconclusive'
            $b.Verified | Should -BeNullOrEmpty
        }
        # Nothing of the checks is left on the disk.
        Get-ChildItem -Force $backups -Directory | Should -BeNullOrEmpty
    }

    It 'a backup proven damaged still fails with no room to spare, and rotation may remove it' {
        if (-not (Mount-TestTmpfs $disk 'size=512k')) { Set-ItResult -Skipped -Because 'needs root to mount a tmpfs'; return }
        $db = (New-CompressibleDatabase (Join-Path $dir 'app.db')).FullName
        $backups = Join-Path $disk 'backups'
        $made = @(New-DailyBackups $db $backups 2 (Get-Date).ToUniversalTime().AddDays(-1))
        $bytes = [IO.File]::ReadAllBytes($made[0].Path); $bytes[$bytes.Length / 2] = $bytes[$bytes.Length / 2] -bxor 1; [IO.File]::WriteAllBytes($made[0].Path, $bytes)
        $env:TMPDIR = $backups

        $bad = Get-SqliteBackup $backups | Where-Object Id -eq $made[0].Id | Test-SqliteBackup -Level Standard -WarningAction SilentlyContinue
        $bad.Outcome | Should -Be 'Failed'
        $bad.Message | Should -Match '^Sha256'
        $decisions = Invoke-BackupRotation $backups -KeepDaily 7 -Confirm:$false
        ($decisions | Where-Object { $_.Backup.Id -eq $made[0].Id }).Reasons | Should -Be 'verification failed'
        (Get-SqliteBackup $backups).Id | Should -Be $made[1].Id
    }

    It 'New-SqliteBackup whose verification has no room fails with DiskFull, not BackupVerificationFailed, and leaves nothing' {
        if (-not (Mount-TestTmpfs $disk 'size=512k')) { Set-ItResult -Skipped -Because 'needs root to mount a tmpfs'; return }
        $db = (New-CompressibleDatabase (Join-Path $dir 'app.db')).FullName
        $backups = Join-Path $disk 'backups'
        $good = New-SqliteBackup $db -Destination $backups -Type Automatic -Verify Quick
        New-Item -ItemType Directory (Join-Path $disk 'tmp') | Out-Null
        $env:TMPDIR = Join-Path $disk 'tmp'

        # Full needs a decompressed copy whatever way Standard is proven.
        New-SqliteBackup $db -Destination $backups -Verify Full -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'DiskFull,*'
        $err[0].Exception.Message | Should -Match 'removed'
        (Get-ChildItem -Force $backups | Where-Object Name -notlike '*sqlitebackup-log.jsonl*').Name | Sort-Object | Should -Be (@((Split-Path -Leaf $good.Path), (Split-Path -Leaf $good.ManifestPath)) | Sort-Object)
    }

    It 'a read-only backup directory verifies in the system temporary directory, and says so; with nowhere to write it is PermissionDenied' {
        if (-not (Mount-TestTmpfs $disk 'size=4m')) { Set-ItResult -Skipped -Because 'needs root to mount a tmpfs'; return }
        $db = (New-CompressibleDatabase (Join-Path $dir 'app.db')).FullName
        $backups = Join-Path $disk 'backups'
        $b = New-SqliteBackup $db -Destination $backups -Type Automatic -Verify None
        & mount -o remount,ro $disk
        $tmp = Join-Path $dir 'tmp'
        New-Item -ItemType Directory $tmp | Out-Null
        $env:TMPDIR = $tmp

        $ok = $b | Test-SqliteBackup -Level Standard -Verbose -WarningAction SilentlyContinue 4>&1
        ($ok | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -BeLike "*$tmp*"
        ($ok | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Outcome | Should -Be 'Passed'

        $env:TMPDIR = $backups   # read-only too: nowhere to decompress
        $r = $b | Test-SqliteBackup -Level Standard -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $r.Outcome | Should -Be 'Inconclusive'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PermissionDenied,*'
        $err[0].ErrorDetails.RecommendedAction | Should -BeLike '*-ScratchPath*'
    }

    It 'a backup this account may not read is Inconclusive PermissionDenied, not Failed, and rotation keeps it' {
        # Root reads everything; root without CAP_DAC_OVERRIDE is held to the file's mode like anyone else.
        $setpriv = Get-Command setpriv -ErrorAction SilentlyContinue
        if (-not $IsLinux -or (& id -u) -ne '0' -or -not $setpriv) {
            if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'this case needs root and setpriv (util-linux) here (SQLITEBACKUP_REQUIRE_CLI=1)' }
            Set-ItResult -Skipped -Because 'needs root and setpriv to drop CAP_DAC_OVERRIDE'; return
        }
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        $backups = Join-Path $dir 'backups'
        $b = New-SqliteBackup (Join-Path $dir 'app.db') -Destination $backups -Type Automatic -Verify None
        [IO.File]::SetUnixFileMode($b.Path, [IO.UnixFileMode]::None)
        $pwsh = @([Environment]::ProcessPath)
        if ((Split-Path -Leaf $pwsh[0]) -like 'dotnet*') { $pwsh += Join-Path $PSHOME 'pwsh.dll' }
        $script = "Import-Module '$ModulePath'; `$r = Test-SqliteBackup -Path '$($b.Path)' -Level Quick -ErrorVariable e -ErrorAction SilentlyContinue -WarningAction SilentlyContinue; " +
            "[pscustomobject]@{ Outcome = `"`$(`$r.Outcome)`"; ErrorId = `$e[0].FullyQualifiedErrorId } | ConvertTo-Json -Compress"

        $out = & $setpriv.Source '--bounding-set=-dac_override,-dac_read_search' @pwsh -NoProfile -NonInteractive -Command $script 2>&1
        $r = "$out" | ConvertFrom-Json

        $r.Outcome | Should -Be 'Inconclusive'
        $r.ErrorId | Should -BeLike 'PermissionDenied,*'
        (Get-SqliteBackup $backups).Manifest.Verifications[-1].Outcome | Should -Be 'Inconclusive'
        (Invoke-BackupRotation $backups -KeepLast 1 -Confirm:$false).Action | Should -Be 'Keep'
        Test-Path $b.Path | Should -BeTrue
    }
}
