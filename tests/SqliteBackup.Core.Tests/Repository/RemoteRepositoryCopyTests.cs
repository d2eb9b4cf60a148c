using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Tests.Storage;
using SqliteBackup.Core.Verification;
using Xunit;
using static SqliteBackup.Core.Tests.Repository.RepositoryCopyTests;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// Two snapshots copied off-site to a real server: the second sends only the packs its backup added, both reassemble
/// from there, and one exported as plain is an ordinary remote backup that verifies.
/// </summary>
static class RemoteCopy
{
    public static void TwoSnapshotsAndAnExport(IBackupStore remote, TempDir t)
    {
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        var first = RepositoryCopyTests.Snapshot(t["live.db"], t["repo"]);
        Churn(t["live.db"], 3);
        var second = RepositoryCopyTests.Snapshot(t["live.db"], t["repo"]);
        var dest = new PutCounter(remote);
        var copier = new RepositoryCopier();

        Assert.Equal(CopyStatus.Copied, copier.Copy(first, dest).Status);
        Assert.Equal(first.Manifest.Repository!.Packs.Count, copier.Stats!.PacksSent);
        dest.Reset();
        Assert.Equal(CopyStatus.Copied, copier.Copy(second, dest).Status);
        Assert.Equal(second.Manifest.Repository!.AddedPacks.Order(), dest.Puts.Where(p => RepositoryNames.IsPack(p.Name)).Select(p => p.Name).Order());
        dest.Reset();
        Assert.Equal(CopyStatus.AlreadyPresent, copier.Copy(second, dest).Status);
        Assert.DoesNotContain(dest.Puts, p => !p.Name.StartsWith("lock-", StringComparison.Ordinal));

        foreach (var s in new[] { first, second })
        {
            var there = BackupManifest.TryParse(remote.ReadAllBytes(s.Manifest.File + BackupManifest.Suffix), out _)!;
            Assert.Equal(s.Path, there.CopiedFrom);
            Assert.Empty(SnapshotReader.QuickCheck(remote, there));
            AssertRestorable(remote, there, t["check.db"]);
        }

        var exported = new SnapshotExporter().Export(second, remote);
        Assert.Equal(CopyStatus.Copied, exported.Status);
        var plain = Assert.Single(new StoreCatalog().List(remote), b => b.Manifest.File.EndsWith(".db.zst", StringComparison.Ordinal));
        Assert.Equal(second.Manifest.RawSha256, plain.Manifest.RawSha256);
        Assert.True(new BackupVerifier().Verify(plain, remote, VerificationLevel.Standard, record: false).Passed);
    }
}

[Collection(RadosGwCollection.Name)]
public sealed class RadosGwRepositoryCopyTests(RadosGwServer server)
{
    [SkippableFact]
    public void Snapshots_are_copied_to_s3_with_only_new_packs_sent_and_exported_as_plain()
    {
        using var t = new TempDir();
        string bucket = server.NewBucket();
        using var remote = StoreRegistry.Open(server.LocationOf(bucket, "off"), new StoreOptions { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey, Create = true });
        RemoteCopy.TwoSnapshotsAndAnExport(remote, t);
    }
}

[Collection(SshdCollection.Name)]
public sealed class SftpRepositoryCopyTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    [SkippableFact]
    public void Snapshots_are_copied_over_sftp_with_only_new_packs_sent_and_exported_as_plain()
    {
        server.Require();
        using var t = new TempDir();
        using var remote = StoreRegistry.Open(server.LocationOf(server.NewDirectory()), new StoreOptions { Create = true });
        RemoteCopy.TwoSnapshotsAndAnExport(remote, t);
    }
}
