@{
    Synopsis    = 'Creates a new age key for encrypted backups: an identity file readable by you only, and its public key.'
    Description = @(
        'New-SqliteBackupKey writes a new age X25519 identity (secret key) to a new file with mode 0600, in the layout age-keygen writes: a "# created:" line, a "# public key:" line and the AGE-SECRET-KEY-1... line. It outputs the public key (Recipient, age1...) and the file''s path; the secret key is never shown, logged or put on a command line.'
        'Backups are encrypted to the public key, which may be given out and written into configurations; they are read with the identity file. The standard age program reads the same files: age -d -i <file> backup.db.zst.age | zstd -d > app.db.'
        'Keep a copy of the identity file somewhere safe and off this machine: without it, the backups encrypted to its public key can not be read by anyone. An existing file is never overwritten unless -Force, which replaces it in one step.'
    )
    Parameters  = @{
        Path  = 'The new identity file. Its directory must exist. Refused with EncryptionIdentityFileExists if the file exists, unless -Force.'
        Force = 'Replace an existing file (atomically: a crash leaves the old key or the new one). Backups encrypted to the old key''s public key can then be read only with a copy of the old file.'
    }
    Inputs      = @(@{ Type = 'None'; Description = 'Nothing from the pipeline.' })
    Outputs     = @(@{ Type = 'SqliteBackup.Core.Encryption.BackupKey'; Description = 'Recipient (the age1... public key) and Path (the identity file).' })
    Examples    = @(
        @{ Code = 'New-SqliteBackupKey ~/.config/sqlitebackup/backup-key.txt'; Remarks = 'Creates a key and shows its public key, to name as a recipient of encrypted backups.' }
        @{ Code = '(New-SqliteBackupKey ./recovery-key.txt).Recipient | Set-Content ./recovery-key.pub'; Remarks = 'Creates an offline recovery key and keeps its public key beside it; move recovery-key.txt off the machine.' }
        @{ Code = 'New-SqliteBackupKey ./backup-key.txt -Force -WhatIf'; Remarks = 'Shows that the existing key would be replaced, without replacing it.' }
    )
    Links       = @('New-SqliteBackup')
}
