using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Tests.Encryption;

public class AgeKeyTests
{
    [Fact]
    public void A_new_identity_file_is_0600_in_age_keygen_layout_and_loads_back()
    {
        using var dir = new TempDir();
        var id = AgeX25519Identity.Generate();
        AgeIdentityFile.Write(dir["key.txt"], id, force: false);
        var lines = File.ReadAllLines(dir["key.txt"]);
        Assert.Matches(@"^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", lines[0]);
        Assert.Equal($"# public key: {id.Recipient}", lines[1]);
        Assert.Matches("^AGE-SECRET-KEY-1[0-9A-Z]{58}$", lines[2]);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir["key.txt"]));
        var loaded = AgeIdentityFile.Load(dir["key.txt"]);
        Assert.Empty(loaded.Warnings);
        Assert.Equal(id.Recipient, Assert.Single(loaded.Identities).Recipient);
        Assert.Empty(Directory.GetFiles(dir.Path, ".*"));
    }

    [Fact]
    public void An_existing_file_is_kept_unless_forced_and_then_replaced_whole()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["key.txt"], "precious");
        var e = Assert.Throws<SqliteBackupException>(() => AgeIdentityFile.Write(dir["key.txt"], AgeX25519Identity.Generate(), force: false));
        Assert.Equal("EncryptionIdentityFileExists", e.ErrorId);
        Assert.Equal("precious", File.ReadAllText(dir["key.txt"]));
        var id = AgeX25519Identity.Generate();
        AgeIdentityFile.Write(dir["key.txt"], id, force: true);
        Assert.Equal(id.Recipient, AgeIdentityFile.Load(dir["key.txt"]).Identities[0].Recipient);
        Assert.Single(Directory.GetFiles(dir.Path));
        Assert.Equal("EncryptionIdentityFileDirectoryMissing", Assert.Throws<SqliteBackupException>(() => AgeIdentityFile.Write(dir["no/key.txt"], id, false)).ErrorId);
    }

    [SkippableFact]
    public void A_file_others_may_read_loads_with_a_warning()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix modes");
        using var dir = new TempDir();
        AgeIdentityFile.Write(dir["key.txt"], AgeX25519Identity.Generate(), false);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir["key.txt"], (UnixFileMode)Convert.ToInt32("644", 8));
        var loaded = AgeIdentityFile.Load(dir["key.txt"]);
        Assert.Single(loaded.Identities);
        var w = Assert.Single(loaded.Warnings);
        Assert.Equal("EncryptionIdentityFileExposed", w.ErrorId);
        Assert.Contains("644", w.Message);
        Assert.Contains("chmod 600", w.RecommendedAction);
    }

    [Fact]
    public void Comments_blank_lines_CRLF_and_several_keys_are_read_and_a_bad_line_is_named_by_number_only()
    {
        var a = AgeX25519Identity.Generate();
        var b = AgeX25519Identity.Generate();
        var ok = AgeIdentityFile.Parse($"# a comment\r\n\r\n{a.EncodeSecret()}\r\n# another\n{b.EncodeSecret()}\n", "test");
        Assert.Equal(new[] { a.Recipient, b.Recipient }, ok.Select(i => i.Recipient));

        var secret = a.EncodeSecret();
        var typo = secret[..20] + (secret[20] == 'Q' ? 'P' : 'Q') + secret[21..];
        var e = Assert.Throws<SqliteBackupException>(() => AgeIdentityFile.Parse($"# x\n{typo}\n", "the identity file 'k'"));
        Assert.Equal("EncryptionIdentityInvalid", e.ErrorId);
        Assert.Contains("Line 2", e.Message);
        Assert.DoesNotContain(typo[16..40], e.Message + e.RecommendedAction);

        Assert.Equal("EncryptionIdentityInvalid", Assert.Throws<SqliteBackupException>(() => AgeIdentityFile.Parse("# only comments\n", "t")).ErrorId);
        Assert.Contains("public key", Assert.Throws<SqliteBackupException>(() => AgeIdentityFile.Parse(a.Recipient.ToString(), "t")).Message);
    }

    [Fact]
    public void Missing_files_and_variables_are_EncryptionIdentityMissing()
    {
        using var dir = new TempDir();
        Assert.Equal("EncryptionIdentityMissing", Assert.Throws<SqliteBackupException>(() => AgeIdentityFile.Load(dir["none.txt"])).ErrorId);
        var name = "SQLITEBACKUP_TEST_AGE_" + Guid.NewGuid().ToString("N");
        Assert.Equal("EncryptionIdentityMissing", Assert.Throws<SqliteBackupException>(() => AgeIdentityFile.FromEnvironment(name)).ErrorId);
        var id = AgeX25519Identity.Generate();
        Environment.SetEnvironmentVariable(name, id.EncodeSecret());
        try { Assert.Equal(id.Recipient, AgeIdentityFile.FromEnvironment(name).Identities[0].Recipient); }
        finally { Environment.SetEnvironmentVariable(name, null); }
    }

    [Fact]
    public void A_bad_recipient_is_named_but_a_secret_given_as_one_is_never_shown()
    {
        var good = AgeX25519Identity.Generate().Recipient.ToString();
        Assert.Equal(good, AgeX25519Recipient.Parse(good).ToString());
        var bad = good[..10] + (good[10] == 'q' ? 'p' : 'q') + good[11..];
        var e = Assert.Throws<SqliteBackupException>(() => AgeX25519Recipient.ParseAll(new[] { good, bad }));
        Assert.Equal("EncryptionRecipientInvalid", e.ErrorId);
        Assert.Contains($"2 of 2 ('{bad}')", e.Message);
        Assert.Contains("checksum", e.Message);

        var secret = AgeX25519Identity.Generate().EncodeSecret();
        var s = Assert.Throws<SqliteBackupException>(() => AgeX25519Recipient.Parse(secret));
        Assert.Equal("EncryptionRecipientInvalid", s.ErrorId);
        Assert.DoesNotContain(secret[15..], s.Message + s.RecommendedAction + s.Target);
        Assert.Contains("secret key", s.Message);
        var pass = Assert.Throws<SqliteBackupException>(() => AgeX25519Recipient.Parse("hunter2-passphrase"));
        Assert.DoesNotContain("hunter2", pass.Message + pass.Target);
    }

    [Fact]
    public void An_identity_shows_its_public_key_never_its_secret()
    {
        var id = AgeX25519Identity.Generate();
        Assert.Equal($"age identity for {id.Recipient}", id.ToString());
        Assert.DoesNotContain("SECRET", id.ToString());
    }
}
