using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Encryption;

/// <summary>
/// Encrypted plain backups end to end: compress then age, a manifest signed for each recipient, and Standard/Full
/// verification and restore that need an identity and refuse what the writer did not sign.
/// </summary>
public class EncryptedBackupTests
{
    static readonly AgeX25519Identity Operator = AgeX25519Identity.Generate();
    static readonly AgeX25519Identity Recovery = AgeX25519Identity.Generate();

    static BackupInfo Backup(TempDir t, BackupEncryption encryption, string db = "app.db", string dir = "backups", VerificationLevel verify = VerificationLevel.Standard)
    {
        if (!File.Exists(t[db])) SampleDatabase.Create(t[db]);
        return new BackupEngine().Create(new BackupRequest(t[db]) { Destination = t[dir], Encryption = encryption, Verify = verify });
    }

    static BackupEncryption ToOperator(params AgeX25519Identity[] more) =>
        BackupEncryption.ToRecipients([Operator.Recipient, .. more.Select(m => m.Recipient)], Operator);

    static BackupInfo Listed(TempDir t, string dir = "backups") => Assert.Single(new BackupCatalog().List(t[dir]));

    [Fact]
    public void An_encrypted_backup_round_trips_through_Standard_and_Full_verification_and_restore()
    {
        using var t = new TempDir();
        var b = Backup(t, ToOperator());

        Assert.EndsWith(".db.zst.age", b.Manifest.File);
        Assert.Equal(["zstd", "age"], b.Manifest.Transforms);
        Assert.Equal(BackupManifest.EncryptedSchemaVersion, b.Manifest.SchemaVersion);
        Assert.Equal([Operator.Recipient.ToString()], b.Manifest.Encryption!.Recipients);
        Assert.Equal(Operator.Recipient.ToString(), b.Manifest.Encryption.Writer);
        Assert.False(b.Manifest.Encryption.Passphrase);
        Assert.StartsWith("age-encryption.org/v1\n", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(b.Path), 0, 22));
        Assert.Equal(Db.Sha(t["app.db"]), b.Manifest.RawSha256);
        Assert.Equal(HashingStream.HashFile(b.Path, out long size), b.Manifest.StoredSha256);
        Assert.Equal(size, b.Manifest.StoredSize);
        var listed = Listed(t);
        Assert.True(listed.Verified, "the new backup's own Standard verification ran with the writer's identity");
        var json = File.ReadAllText(listed.ManifestPath);
        Assert.DoesNotContain("AGE-SECRET-KEY", json, StringComparison.OrdinalIgnoreCase);

        var keys = new BackupKeys([Operator]);
        foreach (var level in new[] { VerificationLevel.Standard, VerificationLevel.Full })
        {
            var r = new BackupVerifier(null, null, keys).Verify(listed, level, "SELECT count(*) = 100 FROM employees");
            Assert.True(r.Passed, r.Message);
            Assert.Contains(r.Checks, c => c.Name == "Authentic" && c.Passed);
        }
        var restored = new Restorer().Restore(listed, new RestoreRequest(t["restored.db"]) { Keys = keys });
        Assert.Equal(listed.Manifest.RawSha256, Db.Sha(restored.Destination));
        Assert.Equal(100, Db.Count(restored.Destination, "employees"));
    }

    [Fact]
    public void Quick_needs_no_key_and_says_authenticity_was_not_checked()
    {
        using var t = new TempDir();
        Backup(t, ToOperator());
        var r = new BackupVerifier().Verify(Listed(t), VerificationLevel.Quick);
        Assert.True(r.Passed, r.Message);
        Assert.Contains("authenticity was not checked", r.Message);
    }

    [Fact]
    public void Standard_without_an_identity_is_inconclusive_and_restore_is_refused()
    {
        using var t = new TempDir();
        Backup(t, ToOperator());
        var r = new BackupVerifier().Verify(Listed(t), VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Inconclusive, r.Outcome);
        Assert.Equal("EncryptionIdentityMissing", r.Error!.ErrorId);
        Assert.Equal(InconclusiveCause.MissingKey, r.Cause);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(Listed(t), new RestoreRequest(t["restored.db"])));
        Assert.Equal("EncryptionIdentityMissing", e.ErrorId);
        Assert.False(File.Exists(t["restored.db"]));
    }

    [Fact]
    public void A_wrong_identity_is_a_clear_error_and_inconclusive()
    {
        using var t = new TempDir();
        Backup(t, ToOperator());
        var stranger = AgeX25519Identity.Generate();
        var r = new BackupVerifier(null, null, new BackupKeys([stranger])).Verify(Listed(t), VerificationLevel.Full);
        Assert.Equal(VerificationOutcome.Inconclusive, r.Outcome);
        Assert.Equal("EncryptionWrongIdentity", r.Error!.ErrorId);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(Listed(t), new RestoreRequest(t["restored.db"]) { Keys = new BackupKeys([stranger]) }));
        Assert.Equal("EncryptionWrongIdentity", e.ErrorId);
    }

    /// <summary>
    /// The attack the MAC exists for: someone with only the public key encrypts another database to it, with hashes that
    /// match and a manifest signed with their own key, and puts it where the real backups are.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_forged_backup_with_recomputed_hashes_fails_Standard_and_restore_refuses_it(bool claimsOperatorAsWriter)
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var attacker = AgeX25519Identity.Generate();
        Directory.CreateDirectory(t["evil"]);
        File.Copy(t["app.db"], t["evil/app.db"]);
        Db.Exec(t["evil/app.db"], "UPDATE employees SET last_name = 'Mallory'");
        var forged = new BackupEngine().Create(new BackupRequest(t["evil/app.db"])
            { Destination = t["backups"], Encryption = BackupEncryption.ToRecipients([Operator.Recipient], attacker), Verify = VerificationLevel.None });
        if (claimsOperatorAsWriter)
        {
            var m = BackupCatalog.ReadManifest(forged.ManifestPath, out _)!;
            m.Encryption!.Writer = Operator.Recipient.ToString();
            File.WriteAllBytes(forged.ManifestPath, m.ToJson());
        }
        var listed = Listed(t);
        Assert.True(new BackupVerifier().Verify(listed, VerificationLevel.Quick).Passed, "Quick can not tell: that is what it says");

        var r = new BackupVerifier(null, null, new BackupKeys([Operator])).Verify(listed, VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
        Assert.Equal("Authentic", r.Checks[^1].Name);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(Listed(t), new RestoreRequest(t["restored.db"]) { Keys = new BackupKeys([Operator]) }));
        Assert.Equal("BackupNotAuthentic", e.ErrorId);
        Assert.False(File.Exists(t["restored.db"]));
    }

    [Fact]
    public void A_tampered_ciphertext_byte_fails_and_is_not_restored()
    {
        using var t = new TempDir();
        var b = Backup(t, ToOperator());
        var bytes = File.ReadAllBytes(b.Path);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(b.Path, bytes);
        var keys = new BackupKeys([Operator]);
        var r = new BackupVerifier(null, null, keys).Verify(Listed(t), VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
        Assert.Equal("Sha256", r.Checks[^1].Name);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(Listed(t), new RestoreRequest(t["restored.db"]) { Keys = keys }));
        Assert.Equal("BackupChecksumMismatch", e.ErrorId);
        Assert.False(File.Exists(t["restored.db"]));
    }

    [Fact]
    public void A_truncated_ciphertext_fails()
    {
        using var t = new TempDir();
        var b = Backup(t, ToOperator());
        using (var f = new FileStream(b.Path, FileMode.Open)) f.SetLength(f.Length - 100);
        var r = new BackupVerifier(null, null, new BackupKeys([Operator])).Verify(Listed(t), VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
    }

    /// <summary>
    /// Damage the hashes can not catch (a manifest re-signed by the key holder over a ciphertext cut at a chunk boundary):
    /// the age layer refuses it, after decrypting the intact chunks into the private scratch copy, which is never used.
    /// </summary>
    [Fact]
    public void A_ciphertext_cut_between_chunks_under_a_valid_manifest_is_refused_by_the_age_layer()
    {
        using var t = new TempDir();
        var db = t["big.db"];
        Db.CreatePaired(db, wal: false, fillerRows: 400);
        var encryption = ToOperator();
        var b = new BackupEngine().Create(new BackupRequest(db) { Destination = t["backups"], Encryption = encryption, Compression = CompressionKind.None });
        var bytes = File.ReadAllBytes(b.Path);
        int cut = Age.PayloadOffset(bytes) + 2 * (64 * 1024 + 16);
        Assert.True(bytes.Length > cut + 1000);
        File.WriteAllBytes(b.Path, bytes[..cut]);
        var m = BackupCatalog.ReadManifest(b.ManifestPath, out _)!;
        m.StoredSha256 = HashingStream.HashFile(b.Path, out long size);
        m.StoredSize = size;
        encryption.Seal(m);
        File.WriteAllBytes(b.ManifestPath, m.ToJson());
        var keys = new BackupKeys([Operator]);

        var r = new BackupVerifier(null, null, keys).Verify(Listed(t), VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
        Assert.Contains("truncated", r.Message);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(Listed(t), new RestoreRequest(t["restored.db"]) { Keys = keys }));
        Assert.Equal("EncryptedDataDamaged", e.ErrorId);
        Assert.False(File.Exists(t["restored.db"]));
        Assert.Empty(Directory.GetFiles(t.Path, "*restore*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Passphrase_mode_round_trips_and_a_wrong_passphrase_is_a_clear_error()
    {
        using var t = new TempDir();
        var b = Backup(t, BackupEncryption.WithPassphrase("correct horse battery staple", workFactor: 10));
        Assert.True(b.Manifest.Encryption!.Passphrase);
        Assert.Empty(b.Manifest.Encryption.Recipients);
        Assert.DoesNotContain("correct horse", File.ReadAllText(b.ManifestPath));
        var keys = BackupKeys.FromPassphrase("correct horse battery staple");
        var r = new BackupVerifier(null, null, keys).Verify(Listed(t), VerificationLevel.Full);
        Assert.True(r.Passed, r.Message);
        var restored = new Restorer().Restore(Listed(t), new RestoreRequest(t["restored.db"]) { Keys = keys });
        Assert.Equal(b.Manifest.RawSha256, Db.Sha(restored.Destination));

        var wrong = new BackupVerifier(null, null, BackupKeys.FromPassphrase("wrong")).Verify(Listed(t), VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Inconclusive, wrong.Outcome);
        Assert.Equal("EncryptionWrongIdentity", wrong.Error!.ErrorId);
        Assert.Throws<SqliteBackupException>(() => BackupEncryption.WithPassphrase(""));
    }

    [Fact]
    public void With_an_operator_and_an_offline_recovery_key_either_restores()
    {
        using var t = new TempDir();
        var b = Backup(t, ToOperator(Recovery));
        Assert.Equal(2, b.Manifest.Encryption!.Macs.Count);
        var byOperator = new Restorer().Restore(Listed(t), new RestoreRequest(t["a.db"]) { Keys = new BackupKeys([Operator]) });
        Assert.Equal(b.Manifest.RawSha256, Db.Sha(byOperator.Destination));
        // The recovery key's holder must know whose signature to trust: the operator's public key, kept with the recovery key.
        var byRecovery = new Restorer().Restore(Listed(t), new RestoreRequest(t["b.db"]) { Keys = new BackupKeys([Recovery], null, [Operator.Recipient]) });
        Assert.Equal(b.Manifest.RawSha256, Db.Sha(byRecovery.Destination));
        var untrusted = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(Listed(t), new RestoreRequest(t["c.db"]) { Keys = new BackupKeys([Recovery]) }));
        Assert.Equal("BackupNotAuthentic", untrusted.ErrorId);
    }

    [Fact]
    public void A_writer_that_is_not_a_recipient_verifies_its_new_backup_at_Quick()
    {
        using var t = new TempDir();
        var writer = AgeX25519Identity.Generate();
        var b = Backup(t, BackupEncryption.ToRecipients([Recovery.Recipient], writer));
        Assert.Equal(VerificationLevel.Quick, b.Manifest.Verifications.Single().Level);
        var r = new BackupVerifier(null, null, new BackupKeys([Recovery], null, [writer.Recipient])).Verify(Listed(t), VerificationLevel.Standard);
        Assert.True(r.Passed, r.Message);
    }

    [Fact]
    public void An_encrypted_incremental_backup_through_the_engine_is_a_signed_snapshot()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var b = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"], Encryption = ToOperator(), Incremental = true });
        Assert.True(b.Manifest.IsSnapshot);
        Assert.Equal(["zstd", "age"], b.Manifest.Transforms);
        var r = new BackupVerifier(null, null, new BackupKeys([Operator])).Verify(Listed(t), VerificationLevel.Full);
        Assert.True(r.Passed, r.Message);
    }

    [SkippableFact]
    public void The_age_and_zstd_programs_read_an_encrypted_backup()
    {
        Cli.Require("age");
        Cli.Require("zstd");
        Cli.Require("sqlite3");
        using var t = new TempDir();
        var b = Backup(t, ToOperator());
        AgeIdentityFile.Write(t["key.txt"], Operator, force: false);
        var r = Cli.Run("sh", "-c", "age -d -i \"$1\" \"$2\" | zstd -d -q -o \"$3\"", "sh", t["key.txt"], b.Path, t["x.db"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(b.Manifest.RawSha256, Db.Sha(t["x.db"]));
        Assert.Equal("100", Cli.Run("sqlite3", t["x.db"], "SELECT count(*) FROM employees").Out.Trim());
    }
}
