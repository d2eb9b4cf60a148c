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
