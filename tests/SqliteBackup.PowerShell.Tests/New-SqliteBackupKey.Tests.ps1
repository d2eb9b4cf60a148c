BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:requireCli = $env:SQLITEBACKUP_REQUIRE_CLI -eq '1'
}

Describe 'New-SqliteBackupKey' {
    It 'writes a 0600 identity file like age-keygen and outputs the public key and path, never the secret' {
        $dir = New-TestFolder
        $out = New-SqliteBackupKey (Join-Path $dir 'key.txt') 6>&1 5>&1 4>&1 3>&1 2>&1
        $key = @($out | Where-Object { $_ -is [SqliteBackup.Core.Encryption.BackupKey] })
        $key.Count | Should -Be 1
        $key[0].Recipient | Should -Match '^age1[02-9ac-hj-np-z]{58}$'
        $key[0].Path | Should -Be (Join-Path $dir 'key.txt')
        $lines = Get-Content (Join-Path $dir 'key.txt')
        $lines[0] | Should -Match '^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
        $lines[1] | Should -Be "# public key: $($key[0].Recipient)"
        $lines[2] | Should -Match '^AGE-SECRET-KEY-1'
        ($out | Out-String) | Should -Not -Match 'AGE-SECRET-KEY'
        ($key[0] | ConvertTo-Json) | Should -Not -Match 'AGE-SECRET-KEY'
        if (-not $IsWindows) { (Get-Item (Join-Path $dir 'key.txt')).UnixMode | Should -Be '-rw-------' }
    }

    It 'refuses to overwrite an existing file without -Force, and -Force replaces it' {
        $dir = New-TestFolder
        $path = Join-Path $dir 'key.txt'
        $first = New-SqliteBackupKey $path
        $err = $null
        New-SqliteBackupKey $path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'EncryptionIdentityFileExists*'
        (Get-Content $path)[1] | Should -Be "# public key: $($first.Recipient)"
        New-SqliteBackupKey $path -Force -WhatIf | Should -BeNullOrEmpty
        (Get-Content $path)[1] | Should -Be "# public key: $($first.Recipient)"
        $second = New-SqliteBackupKey $path -Force
        $second.Recipient | Should -Not -Be $first.Recipient
        (Get-Content $path)[1] | Should -Be "# public key: $($second.Recipient)"
        @(Get-ChildItem -Force $dir).Count | Should -Be 1
    }

    It 'writes a key the age program reads (age-keygen -y gives the same public key)' {
        if (-not (Get-Command age-keygen -ErrorAction SilentlyContinue)) {
            if ($requireCli) { throw 'age-keygen is required here (SQLITEBACKUP_REQUIRE_CLI=1) but not installed (apt-get install age)' }
            Set-ItResult -Skipped -Because 'age-keygen is not installed'
            return
        }
        $dir = New-TestFolder
        $key = New-SqliteBackupKey (Join-Path $dir 'key.txt')
        age-keygen -y (Join-Path $dir 'key.txt') | Should -Be $key.Recipient
    }

    It 'says clearly when the directory does not exist' {
        $dir = New-TestFolder
        $err = $null
        New-SqliteBackupKey (Join-Path $dir 'no/key.txt') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'EncryptionIdentityFileDirectoryMissing*'
    }
}
