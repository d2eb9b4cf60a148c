using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Encryption;

/// <summary>An age X25519 public key (age1…): public, so it may be shown, logged and written into manifests.</summary>
public sealed class AgeX25519Recipient : IAgeRecipient, IEquatable<AgeX25519Recipient>
{
    internal const string Hrp = "age";
    internal const string StanzaType = "X25519";
    internal static readonly byte[] WrapInfo = Encoding.ASCII.GetBytes("age-encryption.org/v1/X25519");

    readonly byte[] _publicKey;

    internal AgeX25519Recipient(byte[] publicKey) => _publicKey = publicKey;

    internal ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Parses an age1… string; a bad one is EncryptionRecipientInvalid.</summary>
    public static AgeX25519Recipient Parse(string recipient) => Parse(recipient, null);

    /// <summary>Parses several, naming a bad one by its position as well.</summary>
    public static IReadOnlyList<AgeX25519Recipient> ParseAll(IReadOnlyList<string> recipients) =>
        recipients.Select((r, i) => Parse(r, recipients.Count > 1 ? $"{i + 1} of {recipients.Count}" : null)).ToList();

    static AgeX25519Recipient Parse(string recipient, string? position)
    {
        var text = recipient?.Trim() ?? "";
        // A public key is no secret and is shown; anything else (a secret key or a passphrase given by mistake) is not.
        var shown = text.StartsWith("age1", StringComparison.OrdinalIgnoreCase) && text.Length <= 200
            ? (position == null ? $"'{text}'" : $"{position} ('{text}')")
            : $"{position ?? ""}{(position == null ? "" : " ")}(not shown: it does not start with 'age1' and may be a secret)".TrimStart();
        var decoded = Bech32.TryDecode(text, out var why);
        if (decoded == null) throw BackupErrors.EncryptionRecipientInvalid(shown, why);
        if (decoded.Value.Hrp != Hrp)
            throw BackupErrors.EncryptionRecipientInvalid(shown, decoded.Value.Hrp == "age-secret-key-"
                ? "it is a secret key (an identity), not a public key; give its public key (age1…) instead, and keep the secret key out of configurations"
                : "it does not start with 'age1'; only age X25519 public keys are supported (not ssh- keys or plugins)");
        if (decoded.Value.Data.Length != 32) throw BackupErrors.EncryptionRecipientInvalid(shown, $"it holds {decoded.Value.Data.Length} bytes, not 32");
        return new AgeX25519Recipient(decoded.Value.Data);
    }

    AgeStanza IAgeRecipient.Wrap(ReadOnlySpan<byte> fileKey)
    {
        var ephemeral = new X25519PrivateKeyParameters(new Org.BouncyCastle.Security.SecureRandom());
        var share = ephemeral.GeneratePublicKey().GetEncoded();
        var shared = new byte[32];
        ephemeral.GenerateSecret(new X25519PublicKeyParameters(_publicKey), shared, 0);
        var wrapKey = AgePayload.Hkdf(shared, share.Concat(_publicKey).ToArray(), WrapInfo);
        CryptographicOperations.ZeroMemory(shared);
        var body = Aead.SealOnce(wrapKey, fileKey);
        CryptographicOperations.ZeroMemory(wrapKey);
        return new AgeStanza(StanzaType, new[] { AgeBase64.Encode(share) }, body);
    }

    public override string ToString() => Bech32.Encode(Hrp, _publicKey);
    public bool Equals(AgeX25519Recipient? other) => other != null && _publicKey.AsSpan().SequenceEqual(other._publicKey);
    public override bool Equals(object? obj) => Equals(obj as AgeX25519Recipient);
    public override int GetHashCode() => BitConverter.ToInt32(_publicKey, 0);
}

/// <summary>
/// An age X25519 secret key (AGE-SECRET-KEY-1…). ToString shows only its public key: the secret leaves this type
/// only through <see cref="AgeIdentityFile"/>.
/// </summary>
public sealed class AgeX25519Identity : IAgeIdentity
{
    internal const string Hrp = "AGE-SECRET-KEY-";
    readonly X25519PrivateKeyParameters _key;

    AgeX25519Identity(byte[] secret)
    {
        _key = new X25519PrivateKeyParameters(secret);
        Recipient = new AgeX25519Recipient(_key.GeneratePublicKey().GetEncoded());
    }

    /// <summary>The public key files are encrypted to for this identity.</summary>
    public AgeX25519Recipient Recipient { get; }

    public static AgeX25519Identity Generate() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>Parses one AGE-SECRET-KEY-1… line; null with a reason (which never quotes the line) when it is not one.</summary>
    internal static AgeX25519Identity? TryParse(string line, out string why)
    {
        var decoded = Bech32.TryDecode(line, out why);
        if (decoded == null) return null;
        if (decoded.Value.Hrp != Hrp.ToLowerInvariant())
        {
            why = decoded.Value.Hrp == "age" ? "it is a public key (age1…), not a secret key" : "it is not an age secret key (AGE-SECRET-KEY-1…); plugin and SSH identities are not supported";
            return null;
        }
        if (decoded.Value.Data.Length != 32) { why = $"it holds {decoded.Value.Data.Length} bytes, not 32"; return null; }
        return new AgeX25519Identity(decoded.Value.Data);
    }

    internal string EncodeSecret() => Bech32.Encode(Hrp, _key.GetEncoded());

    /// <summary>The 32 secret bytes, for deriving other keys from this one (the caller zeroes them).</summary>
    internal byte[] SecretBytes() => _key.GetEncoded();

    /// <summary>X25519(this secret, peer); null when the peer is a low-order point (no shared secret).</summary>
    internal byte[]? Agree(AgeX25519Recipient peer)
    {
        var shared = new byte[32];
        try { _key.GenerateSecret(new X25519PublicKeyParameters(peer.PublicKey.ToArray()), shared, 0); }
        catch (InvalidOperationException) { return null; }
        return shared;
    }

    byte[]? IAgeIdentity.TryUnwrap(AgeStanza stanza, IReadOnlyList<AgeStanza> all)
    {
        if (stanza.Type != AgeX25519Recipient.StanzaType) return null;
        if (stanza.Args.Count != 1) throw new AgeFormatException("an X25519 stanza has other than one argument");
        var share = AgeBase64.Decode(stanza.Args[0]);
        if (share is not { Length: 32 }) throw new AgeFormatException("an X25519 stanza's share is not 32 bytes of canonical base64");
        if (stanza.Body.Length != 32) throw new AgeFormatException("an X25519 stanza's body is not 32 bytes");
        var shared = new byte[32];
        try { _key.GenerateSecret(new X25519PublicKeyParameters(share), shared, 0); }
        catch (InvalidOperationException) { throw new AgeFormatException("an X25519 stanza's share is a low-order point"); }
        var mine = Recipient.PublicKey;
        var salt = new byte[64];
        share.CopyTo(salt, 0);
        mine.CopyTo(salt.AsSpan(32));
        var wrapKey = AgePayload.Hkdf(shared, salt, AgeX25519Recipient.WrapInfo);
        CryptographicOperations.ZeroMemory(shared);
        var fileKey = Aead.OpenOnce(wrapKey, stanza.Body);
        CryptographicOperations.ZeroMemory(wrapKey);
        return fileKey;
    }

    public override string ToString() => $"age identity for {Recipient}";
}
