using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Encryption;

/// <summary>
/// A backup encrypted by hand with the real age program (Debian age 1.1.1, installed by .ci/run) under the module's own
/// name, its plain file and manifest gone: Test-SqliteBackup registers it with the key that opens it, which signs it.
/// </summary>
public class EncryptedOrphanTests
{
    static readonly AgeX25519Identity Operator = AgeX25519Identity.Generate();
    static readonly AgeX25519Identity Stranger = AgeX25519Identity.Generate();

    /// <summary>A module backup, then <c>age -r … -o name.age name</c>; the plain file and manifest removed; old enough to be an orphan.</summary>
    static (BackupInfo Orphan, Dictionary<string, long> Rows) HandEncrypted(TempDir t, params string[] ageArgs)
    {
        Cli.Require("age");
        SampleDatabase.Create(t["app.db"]);
        var plain = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"], Verify = VerificationLevel.None });
        var rows = plain.Manifest.TableRowCounts;
        string encrypted = plain.Path + BackupNaming.AgeExtension;
        if (ageArgs.Length > 0 && ageArgs[0] == "-p")
            AgeInteropTests.AgeWithPassphrase(ageArgs[1], 2, "-p", "-o", encrypted, plain.Path);
        else
        {
            var r = Cli.Run("age", [.. ageArgs, "-o", encrypted, plain.Path]);
            Assert.True(r.Code == 0, r.Err);
        }
        File.Delete(plain.Path);
        File.Delete(plain.ManifestPath);
        File.SetLastWriteTimeUtc(encrypted, DateTime.UtcNow.AddHours(-2));
        var orphan = Assert.Single(new BackupCatalog().ListOrphans(t["backups"]));
        Assert.Equal(encrypted, orphan.Path);
        return (orphan, rows);
    }

    static void AssertRestores(TempDir t, BackupInfo backup, BackupKeys keys, Dictionary<string, long> rows)
    {
        new Restorer().Restore(backup, new RestoreRequest(t["restored.db"]) { Keys = keys, Force = true });
        using var c = SqliteFiles.Open(t["restored.db"], SqliteOpenMode.ReadOnly);
        Assert.Equal(rows, SqliteFiles.RowCounts(c));
    }

    [SkippableFact]
    public void A_file_encrypted_with_age_r_is_registered_by_the_identity_that_opens_it_and_then_authenticates()
    {
        using var t = new TempDir();
        var (orphan, rows) = HandEncrypted(t, "-r", Operator.Recipient.ToString());
        var keys = new BackupKeys([Stranger, Operator]);

        var result = new OrphanRegistration().Register(orphan, VerificationLevel.Standard, keys: keys);

        Assert.True(result.Passed, result.Message);
        var registered = Assert.Single(new BackupCatalog().List(t["backups"]));
        var m = registered.Manifest;
        Assert.Equal(["zstd", "age"], m.Transforms);
        Assert.Equal([Operator.Recipient.ToString()], m.Encryption!.Recipients);
        Assert.Equal(Operator.Recipient.ToString(), m.Encryption.Writer);
        Assert.Equal(3, m.SchemaVersion);
        Assert.True(registered.Verified);
        // Later checks with the same key authenticate; the stranger's key can not open it; Quick needs no key.
        Assert.True(new BackupVerifier(null, null, new BackupKeys([Operator])).Verify(registered, VerificationLevel.Full).Passed);
        Assert.Equal(VerificationOutcome.Inconclusive, new BackupVerifier(null, null, new BackupKeys([Stranger])).Verify(registered, VerificationLevel.Standard).Outcome);
        Assert.True(new BackupVerifier().Verify(registered, VerificationLevel.Quick).Passed);
        AssertRestores(t, registered, new BackupKeys([Operator]), rows);
        Assert.DoesNotContain("AGE-SECRET-KEY", File.ReadAllText(registered.ManifestPath));
    }

    [SkippableFact]
    public void A_file_encrypted_with_age_p_is_registered_with_the_passphrase()
    {
        using var t = new TempDir();
        const string passphrase = "granite lantern 5521";
        var (orphan, rows) = HandEncrypted(t, "-p", passphrase);

        var result = new OrphanRegistration().Register(orphan, VerificationLevel.Standard, keys: BackupKeys.FromPassphrase(passphrase));

        Assert.True(result.Passed, result.Message);
        var registered = Assert.Single(new BackupCatalog().List(t["backups"]));
        Assert.True(registered.Manifest.Encryption!.Passphrase);
        Assert.DoesNotContain(passphrase, File.ReadAllText(registered.ManifestPath));
        AssertRestores(t, registered, BackupKeys.FromPassphrase(passphrase), rows);
    }

    [SkippableFact]
    public void Without_a_key_or_with_a_key_that_does_not_open_it_nothing_is_written()
    {
        using var t = new TempDir();
        var (orphan, _) = HandEncrypted(t, "-r", Operator.Recipient.ToString());

        var none = Assert.Throws<SqliteBackupException>(() => new OrphanRegistration().Register(orphan, VerificationLevel.Standard));
        Assert.Equal("EncryptionIdentityMissing", none.ErrorId);
        Assert.Contains("-IdentityFile", none.RecommendedAction);
        var wrong = Assert.Throws<SqliteBackupException>(() => new OrphanRegistration().Register(orphan, VerificationLevel.Standard, keys: new BackupKeys([Stranger])));
        Assert.Equal("EncryptionWrongIdentity", wrong.ErrorId);
        Assert.Empty(Directory.EnumerateFiles(t["backups"], "*.manifest.json"));
        Assert.Single(new BackupCatalog().ListOrphans(t["backups"]));
    }

    [SkippableFact]
    public void A_damaged_hand_encrypted_file_is_not_registered()
    {
        using var t = new TempDir();
        var (orphan, _) = HandEncrypted(t, "-r", Operator.Recipient.ToString());
        var bytes = File.ReadAllBytes(orphan.Path);
        bytes[^100] ^= 0x40;
        File.WriteAllBytes(orphan.Path, bytes);
        File.SetLastWriteTimeUtc(orphan.Path, DateTime.UtcNow.AddHours(-2));

        var e = Assert.Throws<SqliteBackupException>(() => new OrphanRegistration().Register(orphan, VerificationLevel.Standard, keys: new BackupKeys([Operator])));

        Assert.Equal("OrphanNotRegistered", e.ErrorId);
        Assert.Contains("not an intact age file", e.Message);
        Assert.Empty(Directory.EnumerateFiles(t["backups"], "*.manifest.json"));
    }
}
