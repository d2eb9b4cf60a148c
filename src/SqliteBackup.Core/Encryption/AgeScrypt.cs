using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// age's passphrase recipient: the file key wrapped under scrypt(passphrase) with N = 2^workFactor, r = 8, p = 1. The
/// specification allows it only as the one stanza of a file, so a passphrase can not be mixed with public keys.
/// </summary>
public sealed class AgeScryptRecipient : IAgeRecipient
{
    internal const string StanzaType = "scrypt";
    internal static readonly byte[] SaltLabel = Encoding.ASCII.GetBytes("age-encryption.org/v1/scrypt");

    /// <summary>age's own default: about a second on a current machine, and what age itself decrypts without complaint.</summary>
    public const int DefaultWorkFactor = 18;

    readonly byte[] _passphrase;
    readonly int _workFactor;

    public AgeScryptRecipient(string passphrase, int workFactor = DefaultWorkFactor)
    {
        if (string.IsNullOrEmpty(passphrase)) throw BackupErrors.EncryptionPassphraseEmpty();
        ArgumentOutOfRangeException.ThrowIfLessThan(workFactor, 1);
        if (workFactor > AgeScryptIdentity.DefaultMaxWorkFactor) throw BackupErrors.EncryptionWorkFactorTooHigh(workFactor, AgeScryptIdentity.DefaultMaxWorkFactor);
        _passphrase = Encoding.UTF8.GetBytes(passphrase);
        _workFactor = workFactor;
    }

    AgeStanza IAgeRecipient.Wrap(ReadOnlySpan<byte> fileKey)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var key = Derive(_passphrase, salt, _workFactor);
        var body = Aead.SealOnce(key, fileKey);
        CryptographicOperations.ZeroMemory(key);
        return new AgeStanza(StanzaType, new[] { AgeBase64.Encode(salt), _workFactor.ToString(CultureInfo.InvariantCulture) }, body);
    }

    internal static byte[] Derive(byte[] passphrase, byte[] salt, int workFactor) =>
        Org.BouncyCastle.Crypto.Generators.SCrypt.Generate(passphrase, SaltLabel.Concat(salt).ToArray(), 1 << workFactor, 8, 1, 32);
}

/// <summary>Opens a passphrase-encrypted file; refuses a work factor above <c>maxWorkFactor</c> before doing the work.</summary>
public sealed class AgeScryptIdentity : IAgeIdentity
{
    /// <summary>age's own default ceiling: 2^22 makes scrypt take 4 GiB of memory and seconds, so a larger factor in a header is refused as a denial of service.</summary>
    public const int DefaultMaxWorkFactor = 22;

    readonly byte[] _passphrase;
    readonly int _maxWorkFactor;

    public AgeScryptIdentity(string passphrase, int maxWorkFactor = DefaultMaxWorkFactor)
    {
        if (string.IsNullOrEmpty(passphrase)) throw BackupErrors.EncryptionPassphraseEmpty();
        _passphrase = Encoding.UTF8.GetBytes(passphrase);
        _maxWorkFactor = maxWorkFactor;
    }

    byte[]? IAgeIdentity.TryUnwrap(AgeStanza stanza, IReadOnlyList<AgeStanza> all)
    {
        if (stanza.Type != AgeScryptRecipient.StanzaType) return null;
        if (all.Count != 1) throw new AgeFormatException("a scrypt stanza is not the only stanza of the header");
        if (stanza.Args.Count != 2) throw new AgeFormatException("a scrypt stanza has other than two arguments");
        var salt = AgeBase64.Decode(stanza.Args[0]);
        if (salt is not { Length: 16 }) throw new AgeFormatException("a scrypt stanza's salt is not 16 bytes of canonical base64");
        var wf = stanza.Args[1];
        if (wf.Length is 0 or > 2 || wf[0] == '0' || !wf.All(char.IsAsciiDigit)) throw new AgeFormatException("a scrypt stanza's work factor is not a decimal number without leading zeros");
        int workFactor = int.Parse(wf, CultureInfo.InvariantCulture);
        if (workFactor > _maxWorkFactor) throw BackupErrors.EncryptionWorkFactorTooHigh(workFactor, _maxWorkFactor);
        if (stanza.Body.Length != 32) throw new AgeFormatException("a scrypt stanza's body is not 32 bytes");
        var key = AgeScryptRecipient.Derive(_passphrase, salt, workFactor);
        var fileKey = Aead.OpenOnce(key, stanza.Body);
        CryptographicOperations.ZeroMemory(key);
        return fileKey;
    }

    public override string ToString() => "age passphrase identity";
}
