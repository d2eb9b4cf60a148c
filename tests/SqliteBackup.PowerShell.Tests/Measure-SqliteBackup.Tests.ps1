BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Measure-SqliteBackup' {
    It 'adds up exactly what an independent computation over the manifests and the log gives' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'crm.db') -Employees 30 | Out-Null
        Set-Content (Join-Path $dir 'bad.db') 'not sqlite'
        $backups = Join-Path $dir 'backups'
        New-SqliteBackup (Join-Path $dir 'app.db') -Destination $backups -Type Automatic | Out-Null
        New-SqliteBackup (Join-Path $dir 'app.db') -Destination $backups -Compression Gzip | Out-Null
        New-SqliteBackup (Join-Path $dir 'crm.db') -Destination $backups -Verify None | Out-Null
        New-SqliteBackup (Join-Path $dir 'bad.db') -Destination $backups -ErrorAction SilentlyContinue

        $m = Measure-SqliteBackup $backups

        $all = Get-SqliteBackup $backups
        $m.Count | Should -Be 3
        $m.TotalStoredSize | Should -Be ((Get-ChildItem $backups -Filter '*.db.*' | Where-Object Name -notlike '*.json' | ForEach-Object Length) | Measure-Object -Sum).Sum
        $m.TotalRawSize | Should -Be (($all | ForEach-Object { (Get-Content -Raw $_.ManifestPath | ConvertFrom-Json).rawSize }) | Measure-Object -Sum).Sum
        $m.Oldest | Should -Be ($all.Created | Sort-Object | Select-Object -First 1)
        $m.Newest | Should -Be ($all.Created | Sort-Object | Select-Object -Last 1)
        $m.ByType['Manual'] | Should -Be 2
        $m.ByType['Automatic'] | Should -Be 1
        $m.ByDatabase['app'] | Should -Be 2
        $m.ByDatabase['crm'] | Should -Be 1
        $m.VerifiedShare | Should -Be (2 / 3)
        $m.FailuresLast30Days | Should -Be @(Get-Content (Join-Path $backups 'sqlitebackup-log.jsonl') | ConvertFrom-Json | Where-Object event -eq 'BackupFailed').Count
        $m.FailuresLast30Days | Should -Be 1
        $m.AverageDurationMs | Should -Be (($all.Manifest.DurationMs | Measure-Object -Average).Average)
        (Get-SqliteBackup $backups -Database crm | Measure-SqliteBackup).Count | Should -Be 1
    }

    It 'measures an empty selection without failing' {
        $dir = New-TestFolder
        New-Item -ItemType Directory (Join-Path $dir 'b') | Out-Null
        $m = Measure-SqliteBackup (Join-Path $dir 'b')
        $m.Count | Should -Be 0
        $m.VerifiedShare | Should -BeNullOrEmpty
    }

    It 'survives ConvertTo-Json, and counts only the failures of the databases measured' {
        $dir = New-TestFolder
        New-SqliteSampleDatabase (Join-Path $dir 'app.db') | Out-Null
        New-SqliteSampleDatabase (Join-Path $dir 'crm.db') | Out-Null
        Set-Content (Join-Path $dir 'bad.db') 'not sqlite'
        $backups = Join-Path $dir 'backups'
        New-SqliteBackup (Join-Path $dir 'app.db') -Destination $backups | Out-Null
        New-SqliteBackup (Join-Path $dir 'crm.db') -Destination $backups | Out-Null
        New-SqliteBackup (Join-Path $dir 'bad.db') -Destination $backups -ErrorAction SilentlyContinue
        $json = Measure-SqliteBackup $backups | ConvertTo-Json -ErrorAction Stop | ConvertFrom-Json
        $json.ByType.Manual | Should -Be 2
        $json.ByDatabase.crm | Should -Be 1
        (Measure-SqliteBackup $backups).FailuresLast30Days | Should -Be 1
        (Get-SqliteBackup $backups -Database crm | Measure-SqliteBackup).FailuresLast30Days | Should -Be 0
    }
}
