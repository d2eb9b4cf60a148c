using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Tests.Encryption;

/// <summary>
/// The real age and age-keygen programs (Debian age 1.1.1, installed by .ci/run) read what we write and we read what
/// they write. age reads a passphrase only from a terminal, so those cases run it under util-linux script (a pty), with
/// the passphrase on script's stdin and never in an argument list.
/// </summary>
public class AgeInteropTests
{
    const int Chunk = 64 * 1024;

    static void RequireAge()
    {
        Cli.Require("age");
        Cli.Require("age-keygen");
    }

    static AgeX25519Recipient KeygenInto(string path)
    {
        var r = Cli.Run("age-keygen", "-o", path);
        Assert.True(r.Code == 0, r.Err);
        return AgeX25519Recipient.Parse(Cli.Run("age-keygen", "-y", path).Out.Trim());
    }

    static void Age(params string[] args)
    {
        var r = Cli.Run("age", args);
        Assert.True(r.Code == 0, $"age {string.Join(' ', args)}: {r.Err}");
    }

    /// <summary>age -d with its output redirected, since age 1.1.1 creates no -o file for an empty plaintext.</summary>
    static void AgeDecrypt(string identity, string input, string output)
    {
        var r = Cli.Run("sh", "-c", "age -d -i \"$1\" \"$2\" > \"$3\"", "sh", identity, input, output);
        Assert.True(r.Code == 0, $"age -d: {r.Err}");
    }

    /// <summary>Runs age under a pty with the passphrase typed on it (twice when encrypting, for the confirmation).</summary>
    internal static void AgeWithPassphrase(string passphrase, int times, params string[] args)
    {
        Cli.Require("script");
        var psi = new System.Diagnostics.ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-qec", "age " + string.Join(' ', args.Select(a => $"'{a}'")), "/dev/null" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        for (int i = 0; i < times; i++) p.StandardInput.Write(passphrase + "\n");
        p.StandardInput.Flush();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("age under script"); }
        p.StandardInput.Close();
        Assert.True(p.ExitCode == 0, $"age under script: {output.Result} {error.Result}");
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(5 * 1024 * 1024)]
    public void What_we_encrypt_to_two_recipients_age_decrypts_with_either_identity(int size)
    {
        RequireAge();
        using var dir = new TempDir();
        var theirs = KeygenInto(dir["keygen.txt"]);
        var ours = AgeX25519Identity.Generate();
        AgeIdentityFile.Write(dir["ours.txt"], ours, false);
        var plain = Encryption.Age.Random(size);
        File.WriteAllBytes(dir["f.age"], Encryption.Age.Encrypt(plain, theirs, ours.Recipient));
        AgeDecrypt(dir["keygen.txt"], dir["f.age"], dir["a.out"]);
        AgeDecrypt(dir["ours.txt"], dir["f.age"], dir["b.out"]);
        Assert.Equal(plain, File.ReadAllBytes(dir["a.out"]));
        Assert.Equal(plain, File.ReadAllBytes(dir["b.out"]));
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(5 * 1024 * 1024)]
    public void What_age_encrypts_to_two_recipients_we_decrypt_with_either_identity(int size)
    {
        RequireAge();
        using var dir = new TempDir();
        var theirs = KeygenInto(dir["keygen.txt"]);
        var ours = AgeX25519Identity.Generate();
        var plain = Encryption.Age.Random(size);
        File.WriteAllBytes(dir["plain"], plain);
        Age("-r", theirs.ToString(), "-r", ours.Recipient.ToString(), "-o", dir["f.age"], dir["plain"]);
        var cipher = File.ReadAllBytes(dir["f.age"]);
        Assert.Equal(plain, Encryption.Age.Decrypt(cipher, AgeIdentityFile.Load(dir["keygen.txt"]).Identities.ToArray()));
        Assert.Equal(plain, Encryption.Age.Decrypt(cipher, ours));
    }

    [SkippableFact]
    public void Keys_from_age_keygen_load_in_ours_and_ours_load_in_age()
    {
        RequireAge();
        using var dir = new TempDir();
        var theirs = KeygenInto(dir["keygen.txt"]);
        Assert.Equal(theirs, AgeIdentityFile.Load(dir["keygen.txt"]).Identities.Single().Recipient);
        var ours = AgeX25519Identity.Generate();
        AgeIdentityFile.Write(dir["ours.txt"], ours, false);
        Assert.Equal(ours.Recipient.ToString(), Cli.Run("age-keygen", "-y", dir["ours.txt"]).Out.Trim());
    }

    [SkippableFact]
    public void A_passphrase_file_age_writes_we_read_and_one_we_write_age_reads()
    {
        RequireAge();
        using var dir = new TempDir();
        var plain = Encryption.Age.Random(Chunk + 10);
        File.WriteAllBytes(dir["plain"], plain);
        AgeWithPassphrase("interop pass phrase", 2, "-p", "-o", dir["theirs.age"], dir["plain"]);
        Assert.Equal(plain, Encryption.Age.Decrypt(File.ReadAllBytes(dir["theirs.age"]), new AgeScryptIdentity("interop pass phrase")));

        File.WriteAllBytes(dir["ours.age"], Encryption.Age.Encrypt(plain, new AgeScryptRecipient("interop pass phrase")));
        AgeWithPassphrase("interop pass phrase", 1, "-d", "-o", dir["ours.out"], dir["ours.age"]);
        Assert.Equal(plain, File.ReadAllBytes(dir["ours.out"]));
    }

    public static IEnumerable<object[]> Damage() => new (string, Func<byte[], byte[]>)[]
    {
        ("a header byte", c => Flip(c, 30)),
        ("the header MAC", c => Flip(c, Encryption.Age.PayloadOffset(c) - 20)),
        ("the payload nonce", c => Flip(c, Encryption.Age.PayloadOffset(c) - 3)),
        ("a byte of chunk 0", c => Flip(c, Encryption.Age.PayloadOffset(c) + 5)),
        ("a byte of the last chunk", c => Flip(c, c.Length - 1)),
        ("truncated inside a chunk", c => c[..^100]),
        ("the last chunk dropped", c => c[..(Encryption.Age.PayloadOffset(c) + 2 * (Chunk + 16))]),
        ("a byte appended", c => c.Append((byte)0).ToArray()),
    }.Select(d => new object[] { d.Item1, d.Item2 });

    static byte[] Flip(byte[] c, int at) { var d = (byte[])c.Clone(); d[at] ^= 0x04; return d; }

    [SkippableTheory]
    [MemberData(nameof(Damage))]
    public void A_damaged_file_age_wrote_is_refused_by_our_reader(string what, Func<byte[], byte[]> damage)
    {
        RequireAge();
        using var dir = new TempDir();
        var theirs = KeygenInto(dir["keygen.txt"]);
        File.WriteAllBytes(dir["plain"], Encryption.Age.Random(2 * Chunk + 500));
        Age("-r", theirs.ToString(), "-o", dir["f.age"], dir["plain"]);
        var cipher = damage(File.ReadAllBytes(dir["f.age"]));
        var ids = AgeIdentityFile.Load(dir["keygen.txt"]).Identities.ToArray();
        var e = Assert.Throws<SqliteBackupException>(() => Encryption.Age.Decrypt(cipher, ids));
        Assert.True(e.ErrorId is "EncryptedDataDamaged" or "EncryptionWrongIdentity", $"{what}: {e.ErrorId} {e.Message}");
        // age agrees that it is damaged.
        File.WriteAllBytes(dir["bad.age"], cipher);
        Assert.NotEqual(0, Cli.Run("age", "-d", "-i", dir["keygen.txt"], "-o", dir["bad.out"], dir["bad.age"]).Code);
    }
}
