BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:chromium = (Get-Command chromium, chromium-browser -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
    $script:requireCli = $env:SQLITEBACKUP_REQUIRE_CLI -eq '1'
    $script:cronIsAuto = [SqliteBackup.Core.Scheduling.ScheduleBackends]::Resolve('Auto') -eq 'Cron'

    # Processes whose command line names $Marker (a private profile folder): Chromium's helpers can outlive the browser.
    function Get-ProcessIdUsing([string] $Marker) {
        if (-not $IsLinux) { return }
        foreach ($d in Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue | Where-Object Name -Match '^\d+$') {
            $cmd = try { [IO.File]::ReadAllText((Join-Path $d.FullName 'cmdline')) } catch { '' }
            if ($cmd.Contains($Marker) -and [int]$d.Name -ne $PID) { [int]$d.Name }
        }
    }

    # Headless Chromium with a new private profile, bounded by a timeout. Afterwards the browser and every helper it
    # started are gone and the profile is deleted, also when it hangs or fails.
    function Invoke-Chromium([string[]] $Arguments, [int] $TimeoutSec = 90) {
        $profileDir = Join-Path ([IO.Path]::GetTempPath()) ('sqlitebackup-chromium-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $profileDir | Out-Null
        $psi = [Diagnostics.ProcessStartInfo]::new($chromium)
        foreach ($a in @('--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                '--disable-sync', '--no-first-run', "--user-data-dir=$profileDir") + $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $p = $null
        try {
            $p = [Diagnostics.Process]::Start($psi)
            $out = $p.StandardOutput.ReadToEndAsync()
            $err = $p.StandardError.ReadToEndAsync()
            $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
            if (-not $p.WaitForExit($TimeoutSec * 1000)) { throw "chromium did not finish within $TimeoutSec s" }
            $left = [int][Math]::Max(1000, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)
            if (-not [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]]@($out, $err), $left)) { throw "chromium's output did not end within $TimeoutSec s" }
            [pscustomobject]@{ ExitCode = $p.ExitCode; Out = $out.Result; Err = $err.Result }
        }
        finally {
            if ($p) {
                if (-not $p.HasExited) { $p.Kill($true); $null = $p.WaitForExit(10000) }
                $p.Dispose()
            }
            foreach ($id in Get-ProcessIdUsing $profileDir) { Stop-Process -Id $id -Force -ErrorAction SilentlyContinue }
            Remove-Item $profileDir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    function Get-DataStat([string] $Html) {
        $stats = @{}
        foreach ($m in [regex]::Matches($Html, 'data-stat="([^"]+)" data-value="([^"]*)"')) { $stats[$m.Groups[1].Value] = [Net.WebUtility]::HtmlDecode($m.Groups[2].Value) }
        $stats
    }

    # A crontab program that answers -l with $Text, or fails; found first on PATH, so the real crontab is never read or touched.
    function Set-FakeCrontab([string] $Folder, [string] $Text, [switch] $Fail) {
        $bin = Join-Path $Folder 'fake-bin'
        New-Item -ItemType Directory $bin -Force | Out-Null
        $listing = Join-Path $Folder 'crontab.txt'
        [IO.File]::WriteAllText($listing, $Text)
        $script = if ($Fail) { "#!/bin/sh`necho 'crontab: cannot open your crontab: permission denied' >&2`nexit 1`n" }
        else { "#!/bin/sh`n[ `"`$1`" = -l ] && exec cat '$listing'`nexit 1`n" }
        $exe = Join-Path $bin 'crontab'
        [IO.File]::WriteAllText($exe, $script)
        & chmod +x $exe
        $env:PATH = $bin + [IO.Path]::PathSeparator + $env:PATH
    }
}

Describe 'Export-SqliteBackupReport of real backups, checked in headless Chromium' {
    BeforeAll {
        $script:dir = New-TestFolder
        $script:backups = Join-Path $dir 'backups'
        $app = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $app | Out-Null
        # Ten scheduled backups, six days apart, so the default policy keeps some as weekly and monthly ones too.
        $auto = New-DailyBackups $app $backups 10 (Get-Date).AddHours(-1)
        for ($i = 0; $i -lt 10; $i++) { Set-BackupCreated $auto[$i] (Get-Date).AddHours(-1).AddDays(6 * ($i - 9)) }
        New-SqliteBackup $app -Destination $backups -Type Manual | Out-Null
        # Database names come from file names, which users choose.
        $script:hostile = if ($IsWindows) { "r&d 'x' <y>" } else { '<script>alert(1)<b>x & "y"' }
        New-SqliteSampleDatabase (Join-Path $dir "$hostile.db") -Employees 20 | Out-Null
        New-SqliteBackup (Join-Path $dir "$hostile.db") -Destination $backups -Compression Gzip | Out-Null
        Set-Content (Join-Path $dir 'bad.db') 'not sqlite'
        New-SqliteBackup (Join-Path $dir 'bad.db') -Destination $backups -ErrorAction SilentlyContinue

        $script:all = Get-SqliteBackup $backups
        $script:measure = Measure-SqliteBackup $backups
        $script:report = Export-SqliteBackupReport (Join-Path $dir 'report.html') -BackupPath $backups
        $script:html = Get-Content -Raw $report.FullName
    }

    It 'writes one self-contained HTML file and outputs its FileInfo' {
        $report | Should -BeOfType [IO.FileInfo]
        $report.FullName | Should -Be (Join-Path $dir 'report.html')
        $report.Length | Should -BeGreaterThan 5KB
        Get-ChildItem $dir -Filter '*.html' | Should -HaveCount 1
        Get-ChildItem $dir -Force | Where-Object Name -like '.sqlitebackup-*' | Should -BeNullOrEmpty
        foreach ($external in 'http://', 'https://', 'src=', 'href=', '<script', '<link', '@import', 'url(') {
            $html.Contains($external, [StringComparison]::OrdinalIgnoreCase) | Should -BeFalse -Because "the report must not reference '$external'"
        }
        $all.Count | Should -Be 12
        $measure.FailuresLast30Days | Should -Be 1
    }

    It 'renders in Chromium with every backup, the retention decisions and the numbers of Measure-SqliteBackup' {
        if (-not $chromium) {
            if ($requireCli) { throw 'chromium is required here (SQLITEBACKUP_REQUIRE_CLI=1) but not installed (apt-get install chromium)' }
            Set-ItResult -Skipped -Because 'chromium is not installed'
            return
        }
        $r = Invoke-Chromium @('--dump-dom', [uri]::new($report.FullName).AbsoluteUri)
        $r.ExitCode | Should -Be 0 -Because $r.Err
        $dom = $r.Out
        $dom | Should -Match '<table id="history-table">' -Because $r.Err

        # The history: one row per backup, with its exact stored size.
        $rows = [regex]::Matches($dom, '<tr class="backup" data-backup-id="([0-9a-f]+)"[^>]*>.*?data-bytes="(\d+)"')
        $rows.Count | Should -Be $all.Count
        foreach ($b in $all) {
            $row = $rows | Where-Object { $_.Groups[1].Value -eq $b.Id }
            $row | Should -Not -BeNullOrEmpty -Because "backup $($b.Id) of $($b.Database) should have a row"
            [long]$row.Groups[2].Value | Should -Be $b.StoredSize
        }

        # The summary: exactly Measure-SqliteBackup of the same directory.
        $stats = Get-DataStat $dom
        [int]$stats['count'] | Should -Be $measure.Count
        [long]$stats['total-stored-size'] | Should -Be $measure.TotalStoredSize
        [long]$stats['total-raw-size'] | Should -Be $measure.TotalRawSize
        [datetime]::Parse($stats['oldest'], [cultureinfo]::InvariantCulture, 'RoundtripKind').ToLocalTime() | Should -Be $measure.Oldest
        [datetime]::Parse($stats['newest'], [cultureinfo]::InvariantCulture, 'RoundtripKind').ToLocalTime() | Should -Be $measure.Newest
        [double]::Parse($stats['verified-share'], [cultureinfo]::InvariantCulture) | Should -Be $measure.VerifiedShare
        [int]$stats['failures-last-30-days'] | Should -Be $measure.FailuresLast30Days

        # The retention timeline: what Invoke-BackupRotation would decide with the default policy (nothing is removed here).
        $decisions = Invoke-BackupRotation $backups -WhatIf
        foreach ($d in $decisions) {
            $m = [regex]::Match($dom, ('<tr class="decision [^"]*" data-backup-id="{0}" data-action="(\w+)" data-keep="([^"]*)">.*?<td class="reasons">([^<]*)</td>' -f $d.Backup.Id))
            $m.Success | Should -BeTrue -Because "backup $($d.Backup.Id) should be on the timeline"
            $m.Groups[1].Value | Should -Be $d.Action
            [Net.WebUtility]::HtmlDecode($m.Groups[3].Value) | Should -Be ($d.Reasons -join ', ')
            if ($d.Type -eq 'Manual') { $m.Groups[2].Value -split ' ' | Should -Contain 'manual' }
        }
        $dom | Should -Match 'data-keep="[^"]*\bdaily\b'
        $dom | Should -Match 'data-keep="[^"]*\bweekly\b'
        $dom | Should -Match 'data-keep="[^"]*\bmonthly\b'

        # The failure of bad.db, the charts, the schedule note, and the hostile name as text only.
        $dom | Should -Match '<tr class="failure" data-event="BackupFailed">'
        $dom | Should -Match '<svg id="size-chart"'
        ([regex]::Matches($dom, '<polyline ')).Count | Should -Be 2
        $dom | Should -Match '<svg id="retention-timeline"'
        $dom | Should -Match 'No schedule known'
        # With attribute values blanked (older Chromium serializes '<' in them raw), any '<script' left would be an element.
        $tags = $dom -replace '="[^"]*"', '=""'
        $tags | Should -Not -Match '<script'
        $tags | Should -Not -Match '<b>'
        $dom | Should -Match ([regex]::Escape(($hostile -replace '&', '&amp;' -replace '<', '&lt;' -replace '>', '&gt;')))
    }

    It 'takes a full-page screenshot in Chromium' {
        if (-not $chromium) {
            if ($requireCli) { throw 'chromium is required here (SQLITEBACKUP_REQUIRE_CLI=1) but not installed (apt-get install chromium)' }
            Set-ItResult -Skipped -Because 'chromium is not installed'
            return
        }
        $png = Join-Path $dir 'report.png'
        $r = Invoke-Chromium @("--screenshot=$png", '--window-size=1280,2000', [uri]::new($report.FullName).AbsoluteUri)
        $r.ExitCode | Should -Be 0 -Because $r.Err
        Test-Path $png | Should -BeTrue
        $bytes = [IO.File]::ReadAllBytes($png)
        # A blank page of this size compresses to a few KB; the report with its tables and charts is far larger.
        $bytes.Length | Should -BeGreaterThan 40KB
        [BitConverter]::ToString($bytes, 0, 8) | Should -Be '89-50-4E-47-0D-0A-1A-0A'
        if ($env:SQLITEBACKUP_KEEP_SCREENSHOT) { Copy-Item $png $env:SQLITEBACKUP_KEEP_SCREENSHOT }
    }
}

Describe 'Export-SqliteBackupReport parameters' {
    It 'with -ConfigPath reports on its backup directory and policy, and lists the schedule that runs it with its next run' {
        if (-not $cronIsAuto) { Set-ItResult -Skipped -Because 'the platform scheduler here is not cron'; return }
        $dir = New-TestFolder
        $app = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $app | Out-Null
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database $app -RetentionDays 2 -RetentionWeeks 0 -RetentionMonths 0 | Out-Null
        New-DailyBackups $app (Join-Path $dir 'backups') 5 (Get-Date) | Out-Null
        $line = "0 2 * * * '/usr/bin/pwsh' '-File' '/m/Start-SqliteBackupJob.ps1' '-ConfigPath' '$config' # sqlitebackup:report-test`n" +
            "0 3 * * * '/usr/bin/pwsh' '-File' '/m/Start-SqliteBackupJob.ps1' '-ConfigPath' '/elsewhere/backup.json' # sqlitebackup:not-ours`n"
        $path = $env:PATH
        try {
            Set-FakeCrontab $dir $line
            $report = Export-SqliteBackupReport (Join-Path $dir 'r.html') -ConfigPath $config -WarningVariable w
        }
        finally { $env:PATH = $path }
        $w | Should -BeNullOrEmpty
        $html = Get-Content -Raw $report.FullName
        (Get-DataStat $html)['count'] | Should -Be 5
        (Get-DataStat $html)['retention-remove'] | Should -Be 3
        $html | Should -Match 'keep 2 daily snapshots'
        $html | Should -Match '<tr data-schedule="report-test">'
        $html | Should -Not -Match 'not-ours'
        $next = [regex]::Match($html, '<td class="when next-run"><time datetime="([^"]+)"').Groups[1].Value
        $next | Should -Not -BeNullOrEmpty
        $nextLocal = [datetime]::Parse($next, [cultureinfo]::InvariantCulture, 'RoundtripKind').ToLocalTime()
        $nextLocal.TimeOfDay | Should -Be ([timespan]'02:00:00')
        $nextLocal | Should -BeGreaterThan (Get-Date)
        $nextLocal | Should -BeLessOrEqual (Get-Date).AddDays(1)
    }

    It 'a scheduler that cannot be read is a warning and a note, never a failed report' {
        if (-not $cronIsAuto) { Set-ItResult -Skipped -Because 'the platform scheduler here is not cron'; return }
        $dir = New-TestFolder
        $app = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $app | Out-Null
        $config = Join-Path $dir 'backup.json'
        New-SqliteBackupConfig $config -Database $app | Out-Null
        New-SqliteBackup $app -Destination (Join-Path $dir 'backups') | Out-Null
        $path = $env:PATH
        try {
            Set-FakeCrontab $dir '' -Fail
            $report = Export-SqliteBackupReport (Join-Path $dir 'r.html') -ConfigPath $config -WarningVariable w -WarningAction SilentlyContinue -ErrorAction Stop
        }
        finally { $env:PATH = $path }
        "$w" | Should -Match 'permission denied'
        $html = Get-Content -Raw $report.FullName
        $html | Should -Match 'Schedule unknown: the scheduler could not be read'
        (Get-DataStat $html)['count'] | Should -Be 1
    }

    It 'checks -ConfigPath before anything, so -WhatIf reports a bad configuration instead of a plan' {
        $dir = New-TestFolder
        { Export-SqliteBackupReport (Join-Path $dir 'r.html') -ConfigPath (Join-Path $dir 'missing.json') -WhatIf -ErrorAction Stop } |
            Should -Throw -ErrorId 'BackupConfigNotFound,SqliteBackup.PowerShell.ExportSqliteBackupReportCommand'
        Test-Path (Join-Path $dir 'r.html') | Should -BeFalse
    }

    It '-WhatIf writes nothing; a relative -Path means the current location' {
        $dir = New-TestFolder
        New-Item -ItemType Directory (Join-Path $dir 'backups') | Out-Null
        Push-Location $dir
        try {
            Export-SqliteBackupReport 'r.html' -WhatIf | Should -BeNullOrEmpty
            Test-Path (Join-Path $dir 'r.html') | Should -BeFalse
            $r = Export-SqliteBackupReport 'r.html'
            $r.FullName | Should -Be (Join-Path $dir 'r.html')
            (Get-DataStat (Get-Content -Raw $r.FullName))['count'] | Should -Be 0
        }
        finally { Pop-Location }
    }

    It 'refuses a directory as -Path; a missing backup directory is an error and the report is still written' {
        $dir = New-TestFolder
        { Export-SqliteBackupReport $dir -BackupPath $dir -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReportPathIsDirectory,SqliteBackup.PowerShell.ExportSqliteBackupReportCommand'
        $r = Export-SqliteBackupReport (Join-Path $dir 'r.html') -BackupPath (Join-Path $dir 'missing') -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'BackupDirectoryNotFound,*'
        Test-Path $r.FullName | Should -BeTrue
        { Export-SqliteBackupReport (Join-Path $dir 'no/such/folder/r.html') -BackupPath $dir -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReportNotWritable,SqliteBackup.PowerShell.ExportSqliteBackupReportCommand'
    }
}
