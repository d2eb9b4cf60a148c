using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
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
