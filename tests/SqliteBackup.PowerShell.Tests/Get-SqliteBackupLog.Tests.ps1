BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Get-SqliteBackupLog' {
    It '-Level Warning means Warning and above' {
        $hook = Start-Hook -Status 500
        try {
            $dir = New-TestFolder
            New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
            Set-Content (Join-Path $dir 'bad.db') 'not sqlite'
            New-SqliteBackup (Join-Path $dir 'app.db') -Notify $hook.Url -NotifyOn Always -WarningAction SilentlyContinue | Out-Null
            New-SqliteBackup (Join-Path $dir 'bad.db') -ErrorAction SilentlyContinue
            $all = Get-SqliteBackupLog (Join-Path $dir 'backups')
            $all.Level | Should -Contain 'Information'
            $w = Get-SqliteBackupLog (Join-Path $dir 'backups') -Level Warning
            ($w.Level | Sort-Object -Unique) | Should -Be @('Error', 'Warning')
            $w.Count | Should -Be @($all | Where-Object Level -in 'Warning', 'Error', 'Critical').Count
            (Get-SqliteBackupLog (Join-Path $dir 'backups') -Level Error).Level | Sort-Object -Unique | Should -Be 'Error'
        }
        finally { Stop-Hook $hook }
    }

    It 'refuses a file that is not a backup log, saying so, instead of counting damaged lines' {
        $dir = New-TestFolder
        $notLog = Join-Path $dir 'notes.txt'
        Set-Content $notLog (1..24 | ForEach-Object { "line $_" })
        $r = Get-SqliteBackupLog $notLog -ErrorVariable e -ErrorAction SilentlyContinue -WarningVariable w -WarningAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $w | Should -BeNullOrEmpty
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be 'NotABackupLog,SqliteBackup.PowerShell.GetSqliteBackupLogCommand'
        "$($e[0])" | Should -Match 'not a backup log'
        $db = New-SqliteSampleDatabase (Join-Path $dir 'app.db')
        { Get-SqliteBackupLog (Join-Path $dir 'app.db') -ErrorAction Stop } | Should -Throw -ErrorId 'NotABackupLog,*'
    }
}

Describe 'Get-SqliteBackupLog -Event tab completion' {
    It 'offers the event names of the events catalogue, and every event a real log holds' {
        $dir = New-TestFolder
        New-TinyDatabase (Join-Path $dir 'app.db') | Out-Null
        New-SqliteBackup (Join-Path $dir 'app.db') -Verify Standard | Out-Null
        function Complete([string] $line) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches }
        $all = (Complete "Get-SqliteBackupLog '$dir/backups' -Event ").CompletionText
        foreach ($e in (Get-SqliteBackupLog "$dir/backups").Event | Sort-Object -Unique) { $all | Should -Contain $e }
        $all | Should -Contain 'VerificationInconclusive'
        $all | Should -Contain 'FutureDatedBackup'
        (Complete "Get-SqliteBackupLog '$dir/backups' -Event Rest").CompletionText | Should -Be @('RestoreCompleted', 'RestoreFailed', 'RestoreTested', 'RestoreTestFailed', 'RestoreTestInconclusive')
    }
}
