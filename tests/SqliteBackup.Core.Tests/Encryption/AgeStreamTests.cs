using System.Text;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Tests.Encryption;

public class AgeStreamTests
{
    static readonly AgeX25519Identity Alice = AgeX25519Identity.Generate();
    static readonly AgeX25519Identity Bob = AgeX25519Identity.Generate();
    const int Chunk = 64 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(2 * Chunk)]
    [InlineData(5 * 1024 * 1024)]
    public void Plaintext_of_any_size_round_trips_for_each_of_two_recipients(int size)
    {
        var plain = Age.Random(size);
        var cipher = Age.Encrypt(plain, Alice.Recipient, Bob.Recipient);
        int chunks = Math.Max(1, (size + Chunk - 1) / Chunk);
        Assert.Equal(Age.PayloadOffset(cipher) + size + 16 * chunks, cipher.Length);
        Assert.Equal(plain, Age.Decrypt(cipher, Alice));
        Assert.Equal(plain, Age.Decrypt(cipher, Bob));
        Assert.Equal(plain, Age.Decrypt(cipher, AgeX25519Identity.Generate(), Bob));
    }

    [Fact]
    public void The_reader_reports_the_stored_hash_and_size_of_exactly_the_bytes_it_produced()
    {
        using var reader = new AgeEncryptingReader(new MemoryStream(Age.Random(100_000)), new[] { Alice.Recipient });
        Assert.False(reader.Complete);
        var cipher = Age.ReadAll(reader);
        Assert.True(reader.Complete);
        Assert.Equal(cipher.Length, reader.StoredSize);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(cipher)).ToLowerInvariant(), reader.StoredSha256);
        Assert.Equal(100_000, reader.PlaintextRead);
    }

    [Fact]
    public void The_header_is_age_v1_text_with_one_X25519_stanza_per_recipient_and_a_MAC()
    {
        var cipher = Age.Encrypt(Age.Random(10), Alice.Recipient, Bob.Recipient);
        var header = Encoding.ASCII.GetString(cipher, 0, Age.PayloadOffset(cipher) - 16).Split('\n');
        Assert.Equal("age-encryption.org/v1", header[0]);
        Assert.Equal(2, header.Count(l => l.StartsWith("-> X25519 ")));
        Assert.Matches("^--- [A-Za-z0-9+/]{43}$", header[^2]);
    }

    [Fact]
    public void A_passphrase_file_opens_with_the_passphrase_only()
    {
        var plain = Age.Random(Chunk + 5);
        var cipher = Age.Encrypt(plain, new AgeScryptRecipient("correct horse", workFactor: 10));
        Assert.Contains("\n-> scrypt ", Encoding.ASCII.GetString(cipher, 0, 200));
        Assert.Equal(plain, Age.Decrypt(cipher, new AgeScryptIdentity("correct horse")));
        var wrong = Assert.Throws<SqliteBackupException>(() => Age.Decrypt(cipher, new AgeScryptIdentity("wrong horse")));
        Assert.Equal("EncryptionWrongIdentity", wrong.ErrorId);
        Assert.Contains("passphrase", wrong.Message);
        Assert.Equal("EncryptionWrongIdentity", Assert.Throws<SqliteBackupException>(() => Age.Decrypt(cipher, Alice)).ErrorId);
    }

    [Fact]
    public void A_passphrase_can_not_be_mixed_with_public_keys_or_be_empty()
    {
        Assert.Equal("EncryptionPassphraseNotAlone", Assert.Throws<SqliteBackupException>(() =>
            new AgeEncryptingReader(new MemoryStream(), new IAgeRecipient[] { new AgeScryptRecipient("p", 10), Alice.Recipient })).ErrorId);
        Assert.Equal("EncryptionPassphraseEmpty", Assert.Throws<SqliteBackupException>(() => new AgeScryptRecipient("")).ErrorId);
        Assert.Equal("EncryptionPassphraseEmpty", Assert.Throws<SqliteBackupException>(() => new AgeScryptIdentity("")).ErrorId);
    }

    [Fact]
    public void A_work_factor_above_the_ceiling_is_refused_before_scrypt_runs()
    {
        var cipher = Age.Encrypt(Age.Random(3), new AgeScryptRecipient("pw", workFactor: 16));
        var e = Assert.Throws<SqliteBackupException>(() => Age.Decrypt(cipher, new AgeScryptIdentity("pw", maxWorkFactor: 15)));
        Assert.Equal("EncryptionWorkFactorTooHigh", e.ErrorId);
        Assert.Equal("EncryptionWorkFactorTooHigh", Assert.Throws<SqliteBackupException>(() => new AgeScryptRecipient("pw", 23)).ErrorId);
    }

    [Fact]
    public void A_file_for_someone_else_is_a_wrong_identity_error_and_no_identity_at_all_is_a_missing_one()
    {
        var cipher = Age.Encrypt(Age.Random(3), Alice.Recipient);
        var e = Assert.Throws<SqliteBackupException>(() => Age.Decrypt(cipher, Bob));
        Assert.Equal("EncryptionWrongIdentity", e.ErrorId);
        Assert.Contains("1 public key", e.Message);
        Assert.Equal("EncryptionIdentityMissing", Assert.Throws<SqliteBackupException>(() => Age.Decrypt(cipher)).ErrorId);
    }

    public static IEnumerable<object[]> HeaderBytes() => new[] { 0, 5, 25, 30, 60, 100, 140 }.Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(HeaderBytes))]
    public void A_changed_header_byte_is_refused(int offset)
    {
        var cipher = Age.Encrypt(Age.Random(1000), Alice.Recipient);
        cipher[offset] ^= 0x01;
        var e = Assert.Throws<SqliteBackupException>(() => Age.Decrypt(cipher, Alice));
        Assert.Contains(e.ErrorId, new[] { "EncryptedDataDamaged", "EncryptionWrongIdentity" });
    }

    [Fact]
    public void A_second_stanza_added_to_the_header_breaks_its_MAC()
    {
        var cipher = Age.Encrypt(Age.Random(1000), Alice.Recipient);
        var text = Encoding.ASCII.GetBytes("age-encryption.org/v1\n-> grease x\nAAAA\n");
        var forged = text.Concat(cipher.Skip("age-encryption.org/v1\n".Length)).ToArray();
        var e = Assert.Throws<SqliteBackupException>(() => Age.Decrypt(forged, Alice));
        Assert.Equal("EncryptedDataDamaged", e.ErrorId);
        Assert.Contains("MAC", e.Message);
    }

    [Fact]
    public void A_changed_chunk_fails_before_any_of_its_plaintext_is_returned()
    {
        var plain = Age.Random(3 * Chunk);
        var cipher = Age.Encrypt(plain, Alice.Recipient);
        cipher[Age.PayloadOffset(cipher) + Chunk + 16 + 100] ^= 0x80; // inside chunk 1
        using var s = AgeDecryptingStream.Open(new MemoryStream(cipher), new[] { Alice }, "x.age");
        var got = new MemoryStream();
        var buffer = new byte[1000];
        var e = Assert.Throws<SqliteBackupException>(() => { int n; while ((n = s.Read(buffer)) > 0) got.Write(buffer, 0, n); });
        Assert.Equal("EncryptedDataDamaged", e.ErrorId);
        Assert.Contains("chunk 1", e.Message);
        Assert.Equal(plain.AsSpan(0, Chunk).ToArray(), got.ToArray());
    }

    [Theory]
    [InlineData(Chunk + 1, 1)]          // cut inside the last chunk
    [InlineData(Chunk + 1, 17)]         // the last chunk dropped whole: cut at a chunk boundary
    [InlineData(2 * Chunk, Chunk + 16)] // the same, the last chunk being full
    [InlineData(10, 10 + 16)]           // nothing after the nonce
    [InlineData(10, 26 + 5)]            // cut inside the nonce
    public void A_truncated_ciphertext_is_an_error_never_a_short_read(int size, int cut)
    {
        var cipher = Age.Encrypt(Age.Random(size), Alice.Recipient);
        var e = Assert.Throws<SqliteBackupException>(() => Age.Decrypt(cipher[..^cut], Alice));
        Assert.Equal("EncryptedDataDamaged", e.ErrorId);
    }

    [Fact]
    public void Bytes_after_the_last_chunk_are_refused()
    {
        var cipher = Age.Encrypt(Age.Random(10), Alice.Recipient);
        Assert.Equal("EncryptedDataDamaged", Assert.Throws<SqliteBackupException>(() => Age.Decrypt(cipher.Append((byte)0).ToArray(), Alice)).ErrorId);
    }

    [Fact]
    public void Chunks_swapped_in_place_are_refused()
    {
        var cipher = Age.Encrypt(Age.Random(3 * Chunk), Alice.Recipient);
        int p = Age.PayloadOffset(cipher), n = Chunk + 16;
        var swapped = cipher[..p].Concat(cipher.Skip(p + n).Take(n)).Concat(cipher.Skip(p).Take(n)).Concat(cipher.Skip(p + 2 * n)).ToArray();
        Assert.Equal("EncryptedDataDamaged", Assert.Throws<SqliteBackupException>(() => Age.Decrypt(swapped, Alice)).ErrorId);
    }

    [Fact]
    public void Something_that_is_not_age_is_a_damaged_file_error()
    {
        Assert.Equal("EncryptedDataDamaged", Assert.Throws<SqliteBackupException>(() => Age.Decrypt(Array.Empty<byte>(), Alice)).ErrorId);
        Assert.Equal("EncryptedDataDamaged", Assert.Throws<SqliteBackupException>(() => Age.Decrypt("SQLite format 3\0"u8.ToArray(), Alice)).ErrorId);
    }

    [Fact]
    public void BouncyCastle_ChaCha20Poly1305_and_the_platform_one_read_each_other()
    {
        var plain = Age.Random(Chunk + 3);
        var native = Age.Encrypt(plain, Alice.Recipient);
        try
        {
            Aead.ForceManaged = true;
            var managed = Age.Encrypt(plain, Alice.Recipient);
            Assert.Equal(plain, Age.Decrypt(native, Alice));
            Aead.ForceManaged = false;
            Assert.Equal(plain, Age.Decrypt(managed, Alice));
            Aead.ForceManaged = true;
            managed[^1] ^= 1;
            Assert.Equal("EncryptedDataDamaged", Assert.Throws<SqliteBackupException>(() => Age.Decrypt(managed, Alice)).ErrorId);
        }
        finally { Aead.ForceManaged = false; }
    }
}
