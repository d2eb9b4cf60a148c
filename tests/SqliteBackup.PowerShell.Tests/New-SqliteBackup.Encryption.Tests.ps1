BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}

Describe 'Encrypted backups (New-, Test-, Restore-SqliteBackup)' {
    It 'encrypts to -Recipient with the writer''s -IdentityFile; Quick needs no key, Standard and restore need the identity' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $key = New-SqliteBackupKey (Join-Path $dir 'operator.key')
        $b = New-SqliteBackup $db -Recipient $key.Recipient -IdentityFile $key.Path
        $b.Path | Should -BeLike '*.db.zst.age'
        $b.Manifest.Transforms | Should -Be @('zstd', 'age')
        $b.Manifest.Encryption.Recipients | Should -Be @($key.Recipient)

        $quick = $b | Test-SqliteBackup -VerificationLevel Quick
        $quick.Outcome | Should -Be 'Passed'
        $quick.Message | Should -Match 'authenticity was not checked'

        $err = $null
        $none = $b | Test-SqliteBackup -ErrorVariable err -ErrorAction SilentlyContinue
        $none.Outcome | Should -Be 'Inconclusive'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'EncryptionIdentityMissing*'

        ($b | Test-SqliteBackup -VerificationLevel Full -IdentityFile $key.Path).Outcome | Should -Be 'Passed'
        $target = Join-Path $dir 'restored.db'
        $r = $b | Restore-SqliteBackup -Destination $target -IdentityFile $key.Path
        (Get-FileHash $target -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $b.Manifest.RawSha256
    }

    It 'refuses -Recipient without the writer''s identity, and a recipient that is a secret key, without showing it' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $key = New-SqliteBackupKey (Join-Path $dir 'operator.key')
        { New-SqliteBackup $db -Recipient $key.Recipient -ErrorAction Stop } | Should -Throw -ErrorId 'EncryptionWriterIdentityMissing*'
        $secret = (Get-Content $key.Path)[2]
        $e = { New-SqliteBackup $db -Recipient $secret -IdentityFile $key.Path -ErrorAction Stop } | Should -Throw -ErrorId 'EncryptionRecipientInvalid*' -PassThru
        $e.Exception.Message | Should -Not -Match 'AGE-SECRET-KEY'
        Test-Path (Join-Path $dir 'backups/*.age') | Should -BeFalse
    }

    It 'encrypts with -Passphrase and never shows it in output, verbose lines, errors or the log' {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $plain = 'Tr0ub4dor&3-never-shown'
        $pass = ConvertTo-SecureString $plain -AsPlainText -Force
        $out = New-SqliteBackup $db -Passphrase $pass -Verbose 4>&1
        $b = $out | Where-Object { $_ -is [SqliteBackup.Core.Catalog.BackupInfo] }
        $b.Manifest.Encryption.Passphrase | Should -BeTrue
        $test = $b | Test-SqliteBackup -Passphrase $pass -VerificationLevel Full -Verbose 4>&1
        ($test | Where-Object { $_ -is [SqliteBackup.Core.Verification.VerificationResult] }).Outcome | Should -Be 'Passed'
        $wrong = ConvertTo-SecureString 'wrong-one' -AsPlainText -Force
        $err = $null
        $bad = $b | Test-SqliteBackup -Passphrase $wrong -ErrorVariable err -ErrorAction SilentlyContinue
        $bad.Outcome | Should -Be 'Inconclusive'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'EncryptionWrongIdentity*'
        $target = Join-Path $dir 'restored.db'
        $b | Restore-SqliteBackup -Destination $target -Passphrase $pass | Out-Null
        Test-Path $target | Should -BeTrue
        $everything = ($out + $test + $err | Out-String) + (Get-ChildItem -Recurse -File $dir -Include *.json, *.log, *.jsonl | Get-Content -Raw | Out-String)
        $everything | Should -Not -Match ([regex]::Escape($plain))
    }

    It 'warns about an identity file that others may read' -Skip:$IsWindows {
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $key = New-SqliteBackupKey (Join-Path $dir 'operator.key')
        chmod 644 $key.Path
        $b = New-SqliteBackup $db -Recipient $key.Recipient -IdentityFile $key.Path -WarningVariable w -WarningAction SilentlyContinue
        $b | Should -Not -BeNullOrEmpty
        ($w -join ' ') | Should -Match 'may be read or changed by other users'
        ($w -join ' ') | Should -Not -Match 'AGE-SECRET-KEY'
    }
}

Describe 'A backup encrypted by hand with the age program, registered as an orphan' {
    It 'Test-SqliteBackup -IdentityFile registers it, signed by that identity; later checks and restore authenticate; no key: a clear error' {
        if (-not (Get-Command age -ErrorAction SilentlyContinue)) {
            if ($env:SQLITEBACKUP_REQUIRE_CLI -eq '1') { throw 'age is required here (SQLITEBACKUP_REQUIRE_CLI=1) but not installed (apt-get install age)' }
            Set-ItResult -Skipped -Because 'age is not installed'
            return
        }
        $dir = New-TestFolder
        $db = Join-Path $dir 'app.db'
        New-SqliteSampleDatabase $db | Out-Null
        $dest = Join-Path $dir 'backups'
        $key = New-SqliteBackupKey (Join-Path $dir 'operator.key')
        $plain = New-SqliteBackup $db -Destination $dest -Verify None
        # As an operator would: age -r age1… -o app_<stamp>.db.zst.age app_<stamp>.db.zst, then the plain file goes.
        & age -r $key.Recipient -o "$($plain.Path).age" $plain.Path
        $LASTEXITCODE | Should -Be 0
        Remove-Item $plain.Path, $plain.ManifestPath
        (Get-Item "$($plain.Path).age").LastWriteTimeUtc = (Get-Date).ToUniversalTime().AddHours(-2)

        $err = $null
        Get-SqliteBackup $dest -IncludeOrphans -WarningAction SilentlyContinue | Test-SqliteBackup -Level Standard -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err[0].FullyQualifiedErrorId | Should -BeLike 'EncryptionIdentityMissing*'
        "$($err[0].ErrorDetails.RecommendedAction) $($err[0].Exception.Message)" | Should -Match '-IdentityFile'
        @(Get-SqliteBackup $dest -WarningAction SilentlyContinue).Count | Should -Be 0

        $result = Get-SqliteBackup $dest -IncludeOrphans -WarningAction SilentlyContinue | Test-SqliteBackup -Level Standard -IdentityFile $key.Path
        $result.Passed | Should -BeTrue
        $b = Get-SqliteBackup $dest
        $b.IsOrphan | Should -BeFalse
        $b.Manifest.Transforms | Should -Be @('zstd', 'age')
        $b.Manifest.Encryption.Recipients | Should -Be @($key.Recipient)
        $b.Manifest.Encryption.Writer | Should -Be $key.Recipient
        ($b | Test-SqliteBackup -Level Full -IdentityFile $key.Path).Outcome | Should -Be 'Passed'
        $target = Join-Path $dir 'restored.db'
        $b | Restore-SqliteBackup -Destination $target -IdentityFile $key.Path | Out-Null
        (Get-FileHash $target -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $b.Manifest.RawSha256
        Get-Content -Raw $b.ManifestPath | Should -Not -Match 'AGE-SECRET-KEY'
        (Get-SqliteBackupLog $dest -Event OrphanRegistered).Message | Should -Match ([regex]::Escape("signed by $($key.Recipient)"))
    }
}
