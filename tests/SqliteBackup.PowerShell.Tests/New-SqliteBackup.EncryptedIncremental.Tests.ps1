BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}

Describe 'Encrypted incremental repositories (New-SqliteBackup -Incremental -Recipient/-Passphrase)' {
    It 'writes signed snapshots to -Recipient; Quick, copy and the keyless check need no key; Standard and restore need the identity' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        $repo = Join-Path $dir 'repo'
        New-SqliteSampleDatabase $db | Out-Null
        $key = New-SqliteBackupKey (Join-Path $dir 'operator.key')
        $out = New-SqliteBackup $db -BackupPath $repo -Incremental -Recipient $key.Recipient -IdentityFile $key.Path -Verbose 4>&1
        $b = $out | Where-Object { $_ -is [SqliteBackup.Core.Catalog.BackupInfo] }
        $b.Manifest.Transforms | Should -Be @('zstd', 'age')
        $b.Manifest.Repository | Should -Not -BeNullOrEmpty
        (Get-Content -Raw (Join-Path $repo 'sqlitebackup-repository.json') | ConvertFrom-Json).hash | Should -Be 'hmac-sha256'
        Test-Path (Join-Path $repo 'sqlitebackup-repository.key.age') | Should -BeTrue

        # A second snapshot after a small change stores little.
        Invoke-Sql $db "UPDATE employees SET rowid = rowid WHERE rowid = 7; CREATE TABLE churn(x); INSERT INTO churn VALUES (1)" | Out-Null
        $second = New-SqliteBackup $db -BackupPath $repo -Incremental -Recipient $key.Recipient -IdentityFile $key.Path
        $second.Manifest.Repository.Parent | Should -Be $b.Manifest.Id
        $second.Manifest.Repository.AddedSize | Should -BeLessThan $b.Manifest.Repository.AddedSize

        $listed = Get-SqliteBackup $repo -Latest 1
        $quick = $listed | Test-SqliteBackup -VerificationLevel Quick
        $quick.Outcome | Should -Be 'Passed'
        $quick.Message | Should -Match 'authenticity was not checked'
        $err = $null
        ($listed | Test-SqliteBackup -ErrorVariable err -ErrorAction SilentlyContinue).Outcome | Should -Be 'Inconclusive'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'EncryptionIdentityMissing*'
        ($listed | Test-SqliteBackup -VerificationLevel Full -IdentityFile $key.Path).Outcome | Should -Be 'Passed'
        { $listed | Restore-SqliteBackup -Destination (Join-Path $dir 'nokey.db') -ErrorAction Stop } | Should -Throw -ErrorId 'EncryptionIdentityMissing*'
        $other = New-SqliteBackupKey (Join-Path $dir 'other.key')
        { $listed | Restore-SqliteBackup -Destination (Join-Path $dir 'wrong.db') -IdentityFile $other.Path -ErrorAction Stop } | Should -Throw -ErrorId 'EncryptionWrongIdentity*'
        $target = Join-Path $dir 'restored.db'
        $listed | Restore-SqliteBackup -Destination $target -IdentityFile $key.Path | Out-Null
        (Get-FileHash $target -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $second.Manifest.RawSha256

        $check = Test-SqliteBackupRepository $repo -WarningVariable w -WarningAction SilentlyContinue | Select-Object -Last 1
        $check.Sound | Should -BeTrue
        ($w -join ' ') | Should -Match 'no block was decrypted'
        $keyed = Test-SqliteBackupRepository $repo -IdentityFile $key.Path -WarningVariable w2 | Select-Object -Last 1
        $keyed.Sound | Should -BeTrue
        $keyed.BlocksUnchecked | Should -BeFalse
        $w2 | Should -BeNullOrEmpty

        $offsite = Join-Path $dir 'offsite'
        $listed | Copy-SqliteBackup -BackupPath $offsite | Out-Null
        $copied = Get-SqliteBackup $offsite -Latest 1
        $copied | Restore-SqliteBackup -Destination (Join-Path $dir 'from-offsite.db') -IdentityFile $key.Path | Out-Null
        (Get-FileHash (Join-Path $dir 'from-offsite.db') -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $second.Manifest.RawSha256
        # Exported as a plain backup only with the key, and then encrypted as the repository is.
        { $listed | Copy-SqliteBackup -BackupPath (Join-Path $dir 'export') -AsPlain -ErrorAction Stop } | Should -Throw -ErrorId 'EncryptionIdentityMissing*'
        @(Get-ChildItem (Join-Path $dir 'export') -Force -ErrorAction SilentlyContinue).Count | Should -Be 0
        $exported = $listed | Copy-SqliteBackup -BackupPath (Join-Path $dir 'export') -AsPlain -IdentityFile $key.Path
        $exported.Copy.Manifest.File | Should -BeLike '*.db.zst.age'
        ($exported.Copy | Test-SqliteBackup -VerificationLevel Standard -IdentityFile $key.Path).Outcome | Should -Be 'Passed'

        $everything = ($out + $err | Out-String) + (Get-ChildItem -Recurse -File $dir -Exclude *.key, *.pack, *.index, *.db, *.db-* | Get-Content -Raw | Out-String)
        $everything | Should -Not -Match 'AGE-SECRET-KEY'
    }

    It 'refuses to mix: an encrypted backup into an unencrypted repository, an unencrypted one into an encrypted one, other recipients; nothing written' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $key = New-SqliteBackupKey (Join-Path $dir 'operator.key')
        $other = New-SqliteBackupKey (Join-Path $dir 'other.key')
        $plainRepo = Join-Path $dir 'plain'
        $encRepo = Join-Path $dir 'enc'
        New-SqliteBackup $db -BackupPath $plainRepo -Incremental | Out-Null
        New-SqliteBackup $db -BackupPath $encRepo -Incremental -Recipient $key.Recipient -IdentityFile $key.Path | Out-Null
        $before = @((Get-ChildItem $plainRepo).Name) + @((Get-ChildItem $encRepo).Name)
        { New-SqliteBackup $db -BackupPath $plainRepo -Incremental -Recipient $key.Recipient -IdentityFile $key.Path -ErrorAction Stop } | Should -Throw -ErrorId 'RepositoryEncryptionMismatch*'
        { New-SqliteBackup $db -BackupPath $encRepo -Incremental -ErrorAction Stop } | Should -Throw -ErrorId 'RepositoryEncryptionMismatch*'
        { New-SqliteBackup $db -BackupPath $encRepo -Incremental -Recipient $key.Recipient, $other.Recipient -IdentityFile $key.Path -ErrorAction Stop } | Should -Throw -ErrorId 'RepositoryEncryptionMismatch*'
        @((Get-ChildItem $plainRepo).Name) + @((Get-ChildItem $encRepo).Name) | Should -Be $before
    }

    It 'works with -Passphrase and never shows it' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        $repo = Join-Path $dir 'repo'
        New-SqliteSampleDatabase $db | Out-Null
        $plain = 'Tr0ub4dor&3-repository-never-shown'
        $pass = ConvertTo-SecureString $plain -AsPlainText -Force
        $out = New-SqliteBackup $db -BackupPath $repo -Incremental -Passphrase $pass -Verbose 4>&1
        $b = $out | Where-Object { $_ -is [SqliteBackup.Core.Catalog.BackupInfo] }
        $b.Manifest.Encryption.Passphrase | Should -BeTrue
        $test = Get-SqliteBackup $repo -Latest 1 | Test-SqliteBackup -Passphrase $pass -VerificationLevel Full -Verbose 4>&1
        ($test | Where-Object { $_ -is [SqliteBackup.Core.Verification.VerificationResult] }).Outcome | Should -Be 'Passed'
        $wrong = ConvertTo-SecureString 'wrong-one' -AsPlainText -Force
        { New-SqliteBackup $db -BackupPath $repo -Incremental -Passphrase $wrong -ErrorAction Stop } | Should -Throw -ErrorId 'EncryptionWrongIdentity*'
        $everything = ($out + $test | Out-String) + (Get-ChildItem -Recurse -File $dir -Include *.json, *.log, *.jsonl | Get-Content -Raw | Out-String)
        $everything | Should -Not -Match ([regex]::Escape($plain))
    }
}
