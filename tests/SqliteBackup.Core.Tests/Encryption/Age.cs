using SqliteBackup.Core.Encryption;

namespace SqliteBackup.Core.Tests.Encryption;

/// <summary>Encrypts and decrypts whole byte arrays through the streams, reading in uneven pieces like a store would.</summary>
public static class Age
{
    public static byte[] Encrypt(byte[] plain, params IAgeRecipient[] recipients)
    {
        using var reader = new AgeEncryptingReader(new MemoryStream(plain), recipients);
        return ReadAll(reader);
    }

    public static byte[] Decrypt(byte[] cipher, params IAgeIdentity[] identities)
    {
        using var stream = AgeDecryptingStream.Open(new MemoryStream(cipher), identities, "test.age");
        return ReadAll(stream);
    }

    public static byte[] ReadAll(Stream s)
    {
        var output = new MemoryStream();
        var buffer = new byte[70_001];
        var sizes = new[] { 1, 7, 4096, 70_001, 65_536 };
        for (int i = 0; ; i++)
        {
            int n = s.Read(buffer, 0, sizes[i % sizes.Length]);
            if (n == 0) return output.ToArray();
            output.Write(buffer, 0, n);
        }
    }

    public static byte[] Random(int size)
    {
        var b = new byte[size];
        new Random(size).NextBytes(b);
        return b;
    }

    /// <summary>Where the payload starts: after the header's MAC line and the 16-byte nonce.</summary>
    public static int PayloadOffset(byte[] cipher)
    {
        int mac = IndexOf(cipher, "\n--- "u8.ToArray());
        return Array.IndexOf(cipher, (byte)'\n', mac + 1) + 1 + 16;
    }

    public static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
