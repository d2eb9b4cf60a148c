using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Tests.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Encryption;

/// <summary>An encrypted backup streamed to a real radosgw: compressed and encrypted on the way into the upload, checked and restored from there.</summary>
[Collection(RadosGwCollection.Name)]
public sealed class EncryptedRemoteBackupTests(RadosGwServer server)
{
    [SkippableFact]
    public void An_encrypted_backup_goes_to_radosgw_and_verifies_and_restores_with_the_identity()
    {
        server.Require();
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var op = AgeX25519Identity.Generate();
        using var store = new S3Store(new Uri(server.LocationOf(server.NewBucket(), "enc")),
            new StoreOptions { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey });
        var b = RemoteBackup.Create(new BackupRequest(t["app.db"]) { ScratchPath = t.Path, Encryption = BackupEncryption.ToRecipients([op.Recipient], op) }, store, new ListLogger());
        Assert.EndsWith(".db.zst.age", b.Manifest.File);

        var listed = Assert.Single(new StoreCatalog().List(store));
        Assert.True(listed.Verified);
        Assert.True(new BackupVerifier(null, t["checks"]).Verify(listed, store, VerificationLevel.Quick).Passed);
        Assert.Equal(VerificationOutcome.Inconclusive, new BackupVerifier(null, t["checks"]).Verify(listed, store, VerificationLevel.Standard).Outcome);
        var keys = new BackupKeys([op]);
        var r = new BackupVerifier(null, t["checks"], keys).Verify(listed, store, VerificationLevel.Full);
        Assert.True(r.Passed, r.Message);
        var restored = new Restorer().Restore(listed, store, new RestoreRequest(t["restored.db"]) { Keys = keys });
        Assert.Equal(b.Manifest.RawSha256, Db.Sha(restored.Destination));
    }
}

/// <summary>A job with encryption and an s3:// destination on a real radosgw: the copy stays encrypted, and the weekly restore test opens the off-site copy with the job's keys.</summary>
[Collection(RadosGwCollection.Name)]
public sealed class EncryptedJobDestinationTests(RadosGwServer server)
{
    [SkippableFact]
    public void The_job_copies_the_ciphertext_to_radosgw_and_restore_tests_it_there_with_its_keys()
    {
        server.Require();
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var op = AgeX25519Identity.Generate();
        AgeIdentityFile.Write(t["op.key"], op, force: false);
        string location = server.LocationOf(server.NewBucket(), "job");
        string user = "SB_TEST_S3_USER_" + Guid.NewGuid().ToString("N"), secret = "SB_TEST_S3_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(user, RadosGwServer.AccessKey);
        Environment.SetEnvironmentVariable(secret, RadosGwServer.SecretKey);
        try
        {
            var c = Jobs.BackupJobTests.Config(t, $$"""
                { "databases": ["./app.db"], "restore_test_offsite": true,
                  "destinations": [{ "path": "{{location}}", "user_env": "{{user}}", "secret_env": "{{secret}}" }],
                  "encryption": { "recipients": ["{{op.Recipient}}"], "identity_file": "./op.key" } }
                """);
            var r = Jobs.BackupJobTests.Run(c).Single();
            Assert.True(r.Succeeded, r.Error);
            var copy = Assert.Single(Assert.Single(r.Destinations).Copies);
            Assert.True(copy.IsRemote);
            Assert.EndsWith(".db.zst.age", copy.Manifest.File);
            Assert.Equal(r.Backup!.Manifest.StoredSha256, copy.Manifest.StoredSha256);
            Assert.True(r.RestoreTest!.Passed, r.RestoreTest.Message);
            Assert.True(r.RestoreTest.Backup.IsRemote);
            Assert.DoesNotContain("AGE-SECRET-KEY", File.ReadAllText(c.LogFile));
        }
        finally
        {
            Environment.SetEnvironmentVariable(user, null);
            Environment.SetEnvironmentVariable(secret, null);
        }
    }
}
