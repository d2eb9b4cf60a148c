using System.Net;
using System.Security;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.PowerShell;

/// <summary>The age parameters shared by New-, Test- and Restore-SqliteBackup: identities by file or variable name, a passphrase as a secure string.</summary>
public abstract partial class SqliteBackupCmdlet
{
    /// <summary>Reads the identities and passphrase given; null when none was. An identity file others may read is warned about.</summary>
    private protected BackupKeys? ReadKeys(string? identityFile, string? identityVariable, SecureString? passphrase, IReadOnlyList<string>? trustedWriters = null)
    {
        var identities = new List<AgeX25519Identity>();
        if (identityFile != null) identities.AddRange(Surface(AgeIdentityFile.Load(ResolvePath(identityFile))));
        if (identityVariable != null) identities.AddRange(Surface(AgeIdentityFile.FromEnvironment(identityVariable)));
        string? secret = passphrase == null ? null : new NetworkCredential("", passphrase).Password;
        if (passphrase != null && string.IsNullOrEmpty(secret)) throw BackupErrors.EncryptionPassphraseEmpty();
        if (identities.Count == 0 && secret == null) return null;
        return new BackupKeys(identities, secret, trustedWriters is { Count: > 0 } ? AgeX25519Recipient.ParseAll(trustedWriters) : null);
    }

    /// <summary>How a new backup is encrypted; null when neither recipients nor a passphrase were given.</summary>
    private protected BackupEncryption? ReadEncryption(IReadOnlyList<string>? recipients, SecureString? passphrase, string? identityFile, string? identityVariable)
    {
        bool toKeys = recipients is { Count: > 0 };
        if (toKeys && passphrase != null) throw BackupErrors.EncryptionPassphraseNotAlone();
        if (passphrase != null)
        {
            if (identityFile != null || identityVariable != null)
                throw BackupErrors.EncryptionOptionsConflict("-Passphrase signs the manifest with the passphrase itself; -IdentityFile and -IdentityVariable apply only with -Recipient.");
            return BackupEncryption.WithPassphrase(new NetworkCredential("", passphrase).Password);
        }
        if (!toKeys)
        {
            if (identityFile != null || identityVariable != null)
                throw BackupErrors.EncryptionOptionsConflict("-IdentityFile and -IdentityVariable name the writer's key for -Recipient, which was not given.");
            return null;
        }
        var parsed = AgeX25519Recipient.ParseAll(recipients!);
        var keys = ReadKeys(identityFile, identityVariable, null) ?? throw BackupErrors.EncryptionWriterIdentityMissing();
        return BackupEncryption.ToRecipients(parsed, keys.Identities[0]);
    }

    /// <summary>
    /// What the job would meet with its "encryption" keys if it ran now as this user (a missing identity file, an unset
    /// variable, a key file others may read), as warnings: the job itself fails on them, logs and alerts.
    /// </summary>
    private protected void WarnAboutKeys(Core.Jobs.BackupJobConfig config)
    {
        if (config.Encryption?.Check() is not var (problem, warnings)) return;
        foreach (var w in problem is null ? warnings : [problem, .. warnings])
            WriteWarning($"{w.ErrorId}: {w.Message} {w.RecommendedAction}");
    }

    IReadOnlyList<AgeX25519Identity> Surface(AgeIdentities read)
    {
        foreach (var w in read.Warnings) WriteWarning(w.Message + " " + w.RecommendedAction);
        return read.Identities;
    }
}
