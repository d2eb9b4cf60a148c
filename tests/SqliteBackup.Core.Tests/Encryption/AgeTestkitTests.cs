using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Tests.Encryption;

/// <summary>
/// Every binary (not armored, not post-quantum) vector of the C2SP age testkit, as a table: each says what decrypting it
/// must give (success with a payload hash, no match, HMAC failure, header failure, payload failure), and for payload
/// failures the hash of the plaintext released before the error, which must be exactly the intact chunks.
/// </summary>
public class AgeTestkitTests
{
    static string Folder => Path.Combine(AppContext.BaseDirectory, "Encryption", "testkit");

    public static IEnumerable<object[]> Vectors() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Encryption", "testkit"))
            .Where(f => Path.GetFileName(f) != "README.md")
            .Select(f => new object[] { Path.GetFileName(f) }).OrderBy(o => (string)o[0]);

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Testkit_vector(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, name));
        int split = Age.IndexOf(bytes, "\n\n"u8.ToArray());
        var fields = Encoding.ASCII.GetString(bytes, 0, split).Split('\n').Select(l => l.Split(": ", 2)).ToLookup(p => p[0], p => p[1]);
        var body = bytes[(split + 2)..];
        if (fields["compressed"].FirstOrDefault() == "zlib")
        {
            using var z = new ZLibStream(new MemoryStream(body), CompressionMode.Decompress);
            body = Age.ReadAll(z);
        }
        var identities = new List<IAgeIdentity>();
        foreach (var id in fields["identity"]) identities.Add(AgeIdentityFile.Parse(id, "vector")[0]);
        foreach (var p in fields["passphrase"]) identities.Add(new AgeScryptIdentity(p));
        string expect = fields["expect"].Single();

        var released = new MemoryStream();
        SqliteBackupException? error = null;
        try
        {
            using var s = AgeDecryptingStream.Open(new MemoryStream(body), identities, name);
            var buffer = new byte[10_000];
            int n;
            while ((n = s.Read(buffer)) > 0) released.Write(buffer, 0, n);
        }
        catch (SqliteBackupException e) { error = e; }

        string? Hash() => fields["payload"].Any() ? fields["payload"].Single() : null;
        string ReleasedHash() => Convert.ToHexString(SHA256.HashData(released.ToArray())).ToLowerInvariant();
        switch (expect)
        {
            case "success":
                Assert.Null(error);
                Assert.Equal(Hash(), ReleasedHash());
                break;
            case "no match":
                Assert.Equal("EncryptionWrongIdentity", error?.ErrorId);
                break;
            case "HMAC failure":
                Assert.Equal("EncryptedDataDamaged", error?.ErrorId);
                Assert.Contains("MAC", error!.Message);
                break;
            case "header failure":
                // A work factor above the ceiling is its own error; everything else is a damaged file.
                Assert.Contains(error?.ErrorId, new[] { "EncryptedDataDamaged", "EncryptionWorkFactorTooHigh" });
                Assert.Equal(0, released.Length);
                break;
            case "payload failure":
                Assert.Equal("EncryptedDataDamaged", error?.ErrorId);
                if (Hash() != null) Assert.Equal(Hash(), ReleasedHash());
                break;
            default:
                throw new InvalidOperationException($"{name}: unknown expectation '{expect}'");
        }
    }
}
