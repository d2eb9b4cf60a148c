using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// SFTP objects flushed to the server's disk with sync(1) once renamed when the location asks (?fsync=true): the data
/// object before its manifest; an account that cannot run sync is refused before anything is written; without the
/// query nothing is flushed (as rclone and sftp(1)).
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class SftpDurabilityTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    SftpStore Open(string directory, bool fsync = true) => new(new Uri(server.LocationOf(directory) + (fsync ? "?fsync=true" : "")), new StoreOptions { Create = true });

    BackupInfo NewBackup(TempDir t)
    {
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 200);
        return new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"] });
    }

    [SkippableFact]
    public void A_copy_flushes_its_data_object_and_directory_to_the_servers_disk_before_its_manifest()
    {
        server.Require();
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, server.SyncLogIdentity);
        File.Delete(server.SyncLog);
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = server.NewDirectory();
        using var store = Open(dir);

        Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, store).Status);

        var flushed = File.ReadAllLines(server.SyncLog);
        string manifest = Path.GetFileName(local.ManifestPath);
        // First the check that the server will flush at all (before anything is written), then each object as renamed.
        Assert.Equal([$"-- {dir}", $"-- {dir}/{local.Manifest.File} {dir}", $"-- {dir}/{manifest} {dir}"], flushed);
    }

    [SkippableFact]
    public void A_manifest_whose_flush_fails_is_no_copy_made_and_is_not_left_published()
    {
        server.Require();
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, server.SyncLogIdentity);
        string failing = Path.Combine(server.Dir, "sync.fail-manifests");
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = server.NewDirectory();
        string manifest = Path.GetFileName(local.ManifestPath);
        try
        {
            File.WriteAllText(failing, "");
            using (var store = Open(dir))
            {
                // The manifest lands, then its flush fails: that it is there byte for byte must not pass for a copy
                // made, which the location asked to be on the server's disk.
                var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(local, store));
                Assert.Equal("StoreFsyncUnavailable", e.ErrorId);
                // Not left to be found by the next copy, which would call the unflushed backup AlreadyPresent.
                Assert.False(File.Exists(Path.Combine(dir, manifest)));
                Assert.True(File.Exists(Path.Combine(dir, local.Manifest.File)));
            }
        }
        finally { File.Delete(failing); }

        // Once the server flushes again, the next copy completes it (its data object is used, its manifest flushed).
        File.Delete(server.SyncLog);
        using var again = Open(dir);
        Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, again).Status);
        Assert.True(File.Exists(Path.Combine(dir, manifest)));
        Assert.Contains($"-- {dir}/{manifest} {dir}", File.ReadAllLines(server.SyncLog));
    }

    [SkippableFact]
    public void A_new_backup_whose_manifest_flush_fails_straight_to_the_store_is_not_reported_made()
    {
        server.Require();
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, server.SyncLogIdentity);
        string failing = Path.Combine(server.Dir, "sync.fail-manifests");
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 200);
        string dir = server.NewDirectory();
        try
        {
            File.WriteAllText(failing, "");
            using var store = Open(dir);
            var e = Assert.Throws<SqliteBackupException>(() => RemoteBackup.Create(new BackupRequest(t["app.db"]), store, new ListLogger()));
            Assert.Equal("StoreFsyncUnavailable", e.ErrorId);
            Assert.Empty(Directory.GetFiles(dir, "*" + BackupManifest.Suffix));
        }
        finally { File.Delete(failing); }
    }

    [SkippableFact]
    public void Without_the_query_nothing_is_flushed()
    {
        server.Require();
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, server.SyncLogIdentity);
        File.Delete(server.SyncLog);
        using var t = new TempDir();
        var local = NewBackup(t);
        using var store = Open(server.NewDirectory(), fsync: false);

        Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, store).Status);

        Assert.False(File.Exists(server.SyncLog));
        Assert.Null(store.ServiceHashUnavailable); // the command account was there, and used for the hash
    }

    [Theory]
    [InlineData("sftp://u@h/srv?fsync=true", true)]
    [InlineData("sftp://u@h/srv?fsync=1", true)]
    [InlineData("sftp://u@h/srv?FSYNC=TRUE", true)]
    [InlineData("sftp://u@h/srv?fsync=false", false)]
    [InlineData("sftp://u@h/srv", false)]
    public void The_fsync_query_is_read_and_is_not_part_of_the_directory(string location, bool fsync)
    {
        var l = SftpLocation.Parse(new Uri(location));
        Assert.Equal(fsync, l.Fsync);
        Assert.Equal("/srv", l.Directory);
        Assert.Equal("sftp://u@h/srv", l.Text);
    }

    [SkippableFact]
    public void An_account_without_sync_or_without_commands_is_refused_before_anything_is_written()
    {
        server.Require();
        foreach (var identity in new[] { server.NoOpensslIdentity, server.SftpOnlyIdentity })
        {
            Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, identity);
            string dir = server.NewDirectory();
            using var store = Open(dir);

            var e = Assert.Throws<SqliteBackupException>(() => store.Put("a", new MemoryStream([1, 2, 3]), createOnly: true));

            Assert.Equal("StoreFsyncUnavailable", e.ErrorId);
            Assert.Contains("Nothing was written", e.Message);
            Assert.Contains("?fsync=true", e.RecommendedAction);
            Assert.Empty(Directory.GetFiles(dir));
        }
    }
}
