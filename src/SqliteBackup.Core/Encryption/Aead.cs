using Org.BouncyCastle.Crypto.Parameters;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// ChaCha20-Poly1305 with a fixed key and no associated data, as age uses it: .NET's own where the platform has it
/// (OpenSSL on Linux, CNG on Windows), else BouncyCastle's (macOS before .NET 9 has none). The output is the ciphertext
/// followed by the 16-byte tag, on both paths.
/// </summary>
internal sealed class Aead : IDisposable
{
    public const int TagSize = 16;
    public const int NonceSize = 12;

    /// <summary>Tests set this to prove the BouncyCastle path gives the same bytes.</summary>
    internal static bool ForceManaged;

    readonly System.Security.Cryptography.ChaCha20Poly1305? _native;
    readonly Org.BouncyCastle.Crypto.Modes.ChaCha20Poly1305? _managed;
    readonly KeyParameter? _key;

    public Aead(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32) throw new ArgumentException("ChaCha20-Poly1305 takes a 32-byte key.", nameof(key));
        if (System.Security.Cryptography.ChaCha20Poly1305.IsSupported && !ForceManaged)
            _native = new System.Security.Cryptography.ChaCha20Poly1305(key);
        else
        {
            _managed = new Org.BouncyCastle.Crypto.Modes.ChaCha20Poly1305();
            _key = new KeyParameter(key.ToArray());
        }
    }

    /// <summary>Writes plaintext.Length + 16 bytes to output.</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        if (_native != null)
        {
            _native.Encrypt(nonce, plaintext, output[..plaintext.Length], output.Slice(plaintext.Length, TagSize));
            return;
        }
        _managed!.Init(true, new ParametersWithIV(_key, nonce.ToArray()));
        int n = _managed.ProcessBytes(plaintext, output);
        _managed.DoFinal(output[n..]);
    }

    /// <summary>Writes sealed.Length - 16 bytes to output; false (and output cleared) when the tag does not verify.</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedBytes, Span<byte> output)
    {
        if (sealedBytes.Length < TagSize) return false;
        int len = sealedBytes.Length - TagSize;
        try
        {
            if (_native != null)
                _native.Decrypt(nonce, sealedBytes[..len], sealedBytes[len..], output[..len]);
            else
            {
                _managed!.Init(false, new ParametersWithIV(_key, nonce.ToArray()));
                int n = _managed.ProcessBytes(sealedBytes, output);
                _managed.DoFinal(output[n..]);
            }
            return true;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or Org.BouncyCastle.Crypto.InvalidCipherTextException)
        {
            output[..len].Clear();
            return false;
        }
    }

    /// <summary>One seal under a one-use key and the all-zero nonce, as age wraps a file key.</summary>
    public static byte[] SealOnce(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext)
    {
        using var a = new Aead(key);
        var r = new byte[plaintext.Length + TagSize];
        a.Seal(stackalloc byte[NonceSize], plaintext, r);
        return r;
    }

    public static byte[]? OpenOnce(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedBytes)
    {
        if (sealedBytes.Length < TagSize) return null;
        using var a = new Aead(key);
        var r = new byte[sealedBytes.Length - TagSize];
        return a.TryOpen(stackalloc byte[NonceSize], sealedBytes, r) ? r : null;
    }

    public void Dispose() => _native?.Dispose();
}
