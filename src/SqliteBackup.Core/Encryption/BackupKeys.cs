using System.Security.Cryptography;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// What a reader holds to open encrypted backups (identities and/or a passphrase) and whose manifests it trusts. A
/// manifest's writer key is trusted when it is the public key of one of the identities held (the usual set-up: the
/// operator key writes and is a recipient) or one of <see cref="TrustedWriters"/> (for example an offline recovery key's
/// holder, who must know the operator's public key): a writer key taken from the manifest itself would let anyone sign.
/// </summary>
public sealed class BackupKeys(IReadOnlyList<AgeX25519Identity> identities, string? passphrase = null, IReadOnlyList<AgeX25519Recipient>? trustedWriters = null)
{
    public IReadOnlyList<AgeX25519Identity> Identities { get; } = identities;
    public IReadOnlyList<AgeX25519Recipient> TrustedWriters { get; } = trustedWriters ?? [];
    internal string? Passphrase { get; } = passphrase;

    public static BackupKeys FromPassphrase(string passphrase)
    {
        if (string.IsNullOrEmpty(passphrase)) throw BackupErrors.EncryptionPassphraseEmpty();
        return new BackupKeys([], passphrase);
    }

    public bool IsEmpty => Identities.Count == 0 && Passphrase == null;

    internal IReadOnlyList<IAgeIdentity> AgeIdentities =>
        Identities.Cast<IAgeIdentity>().Concat(Passphrase != null ? [new AgeScryptIdentity(Passphrase)] : []).ToList();

    /// <summary>Opens the plaintext of an encrypted backup's stored bytes (the header is checked at once).</summary>
    internal Stream Decrypt(Stream stored, string name) => AgeDecryptingStream.Open(stored, AgeIdentities, name, leaveOpen: true);

    /// <summary>
    /// Checks the MAC of an encrypted backup's manifest before any of its bytes are used.
    /// </summary>
    /// <exception cref="SqliteBackupException">EncryptionIdentityMissing or EncryptionWrongIdentity (the check could not run), BackupNotAuthentic (it ran and failed).</exception>
    /// <param name="openStored">Reads the stored object's start, to tell a wrong passphrase (its age header does not open) from a forged MAC.</param>
    public static void Authenticate(BackupManifest m, BackupKeys? keys, string name, Func<Stream>? openStored = null)
    {
        var e = m.Encryption ?? throw new ArgumentException("The backup is not encrypted.", nameof(m));
        if (keys == null || keys.IsEmpty) throw BackupErrors.EncryptionIdentityMissing(name);
        if (e.Macs.Any(x => x.Length != 64)) throw BackupErrors.BackupNotAuthentic(name, "its manifest's MACs are malformed");
        if (e.Passphrase)
        {
            if (keys.Passphrase == null) throw BackupErrors.EncryptionWrongIdentity(name, passphraseFile: true, 0);
            if (e.MacSalt is not { Length: 32 } || e.MacWorkFactor is not { } wf || e.Macs.Count != 1) throw BackupErrors.BackupNotAuthentic(name, "its manifest has no passphrase MAC");
            if (wf > AgeScryptIdentity.DefaultMaxWorkFactor || wf < 1) throw BackupErrors.EncryptionWorkFactorTooHigh(wf, AgeScryptIdentity.DefaultMaxWorkFactor);
            var key = BackupEncryption.PassphraseMacKey(keys.Passphrase, Convert.FromHexString(e.MacSalt), wf);
            bool ok = Equal(BackupEncryption.Mac(key, m), e.Macs[0]);
            CryptographicOperations.ZeroMemory(key);
            // A passphrase that is not the one it was written with and a forged MAC look alike; the age header tells them apart.
            if (!ok && openStored != null)
            {
                using var stored = openStored();
                // Throws EncryptionWrongIdentity when the passphrase does not open the file either.
                using (AgeDecryptingStream.Open(stored, keys.AgeIdentities, name, leaveOpen: true)) { }
            }
            if (!ok) throw BackupErrors.BackupNotAuthentic(name, "its manifest's MAC does not verify under the passphrase given (a wrong passphrase, or a manifest not written with it)");
            return;
        }
        if (e.Macs.Count != e.Recipients.Count) throw BackupErrors.BackupNotAuthentic(name, "its manifest does not hold one MAC per recipient");
        var recipients = e.Recipients.Select(TryParse).ToList();
        int held = -1;
        AgeX25519Identity? mine = null;
        foreach (var identity in keys.Identities)
        {
            held = recipients.FindIndex(r => r != null && r.Equals(identity.Recipient));
            if (held >= 0) { mine = identity; break; }
        }
        if (mine == null) throw BackupErrors.EncryptionWrongIdentity(name, passphraseFile: false, e.Recipients.Count);
        var writer = e.Writer == null ? null : TryParse(e.Writer);
        if (writer == null) throw BackupErrors.BackupNotAuthentic(name, "its manifest names no writer key");
        bool trusted = keys.Identities.Any(i => i.Recipient.Equals(writer)) || keys.TrustedWriters.Contains(writer);
        if (!trusted) throw BackupErrors.BackupNotAuthentic(name, $"it was signed by the key {writer}, which is neither one of the identities given nor a trusted writer key");
        var macKey = BackupEncryption.RecipientMacKey(mine, writer, writer, mine.Recipient)
            ?? throw BackupErrors.BackupNotAuthentic(name, "its writer key is a low-order point");
        bool valid = Equal(BackupEncryption.Mac(macKey, m), e.Macs[held]);
        CryptographicOperations.ZeroMemory(macKey);
        if (!valid) throw BackupErrors.BackupNotAuthentic(name, $"its manifest's MAC for {mine.Recipient} does not verify (the manifest was changed or forged)");
    }

    static AgeX25519Recipient? TryParse(string s)
    {
        try { return AgeX25519Recipient.Parse(s); }
        catch (SqliteBackupException) { return null; }
    }

    static bool Equal(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b.ToLowerInvariant()));
}
