using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Sftp;
using SqliteBackup.Core.Tests.Copies;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// The SFTP server's disk fills during an upload or a manifest write: the real sshd writes into a small tmpfs mounted
/// where the location points. SFTP version 3 (OpenSSH) reports ENOSPC only as its generic "Failure", which told the
/// operator nothing; the store asks the file system (statvfs@openssh.com) and says StoreFull. Nothing partial is left
/// visible and nothing already there is touched.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class SftpDiskFullTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    static SftpStore Open(SshdServer server, string directory) => new(new Uri(server.LocationOf(directory)), new StoreOptions { Create = true });

    /// <summary>A local backup of random (incompressible) pages: its stored size is about <paramref name="mib"/> MiB.</summary>
    static BackupInfo IncompressibleBackup(TempDir t, string name, int mib)
    {
        string db = StreamingBackupTests.RandomDatabase(t[name + ".db"], mib, wal: true);
        return new BackupEngine().Create(new BackupRequest(db) { Destination = t["backups"] });
    }

    /// <summary>What the mount has left for a file, in bytes (statvfs: available blocks times the fragment size).</summary>
    static long Available(string path)
    {
        var (code, stdout, err) = Cli.Run("stat", "-f", "-c", "%a %S", path);
        Assert.True(code == 0, err);
        var parts = stdout.Trim().Split(' ');
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }

    static string[] Names(string dir) => Directory.GetFiles(dir).Select(Path.GetFileName).Order().ToArray()!;

    [SkippableFact]
    public void A_copy_that_fills_the_servers_disk_is_StoreFull_and_leaves_nothing_behind()
    {
        server.Require();
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        var local = IncompressibleBackup(t, "app", 3);
        string dir = server.NewDirectory();
        using var disk = new TmpfsMount(dir, "size=2m");
        Skip.IfNot(disk.Mounted, "mount -t tmpfs was refused: " + disk.MountError);
        using var store = Open(server, dir);

        var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(local, store));

        // Before: StoreRequestFailed, "the server answered: Failure."
        Assert.Equal("StoreFull", e.ErrorId);
        Assert.Contains("is full", e.Message);
        // Its temporary went with the failure, and its blocks with it while this store is still open: SSH.NET left the
        // server's handle of the failed upload open, which kept the deleted temporary's blocks (the disk stayed full for
        // every later write of the process). The server's sftp process ends a moment after its session is closed.
        Assert.Empty(Names(dir));
        var freed = System.Diagnostics.Stopwatch.StartNew();
        while (Available(dir) < 2 << 20 && freed.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(50);
        Assert.Equal(2 << 20, Available(dir));
    }

    [SkippableFact]
    public void A_backup_written_straight_to_a_full_server_is_StoreFull_and_leaves_no_object()
    {
        server.Require();
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        string db = StreamingBackupTests.RandomDatabase(t["app.db"], 3, wal: true);
        string dir = server.NewDirectory();
        using var disk = new TmpfsMount(dir, "size=2m");
        Skip.IfNot(disk.Mounted, "mount -t tmpfs was refused: " + disk.MountError);
        using var store = Open(server, dir);

        var e = Assert.Throws<SqliteBackupException>(() => RemoteBackup.Create(new BackupRequest(db), store, new ListLogger()));

        Assert.Equal("StoreFull", e.ErrorId);
        Assert.Empty(Names(dir));
    }

    [SkippableFact]
    public void A_manifest_the_full_disk_refuses_is_StoreFull_publishes_nothing_and_the_next_copy_completes_it()
    {
        server.Require();
        TmpfsMount.RequireRoot();
        using var t = new TempDir();
        var first = IncompressibleBackup(t, "one", 1);
        var second = IncompressibleBackup(t, "two", 1);
        string dir = server.NewDirectory();
        using var disk = new TmpfsMount(dir, "size=8m");
        Skip.IfNot(disk.Mounted, "mount -t tmpfs was refused: " + disk.MountError);
        using (var store = Open(server, dir)) Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(first, store).Status);
        string firstSha = Db.Sha(Path.Combine(dir, first.Manifest.File));
        // Room for the second backup's data object to the byte (tmpfs counts whole pages), none for its manifest.
        long pages = (second.Manifest.StoredSize + 4095) / 4096 * 4096;
        File.WriteAllBytes(Path.Combine(dir, "filler"), new byte[Available(dir) - pages]);

        SqliteBackupException e;
        using (var store = Open(server, dir)) e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(second, store));

        Assert.Equal("StoreFull", e.ErrorId);
        Assert.Contains(second.Manifest.File + BackupManifest.Suffix, e.Message);
        using (var store = Open(server, dir))
        {
            // Not published: the listing shows the first backup only, whole and untouched; no temporary is left.
            var listed = new StoreCatalog().List(store).Select(b => b.Manifest.File).ToList();
            Assert.Equal([first.Manifest.File], listed);
            Assert.Equal(firstSha, Db.Sha(Path.Combine(dir, first.Manifest.File)));
            Assert.DoesNotContain(Names(dir), n => n.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal));

            // Once there is room, the next copy finds its own data object and writes only the manifest.
            File.Delete(Path.Combine(dir, "filler"));
            Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(second, store).Status);
            Assert.Equal(new[] { first.Manifest.File, second.Manifest.File }.Order(), new StoreCatalog().List(store).Select(b => b.Manifest.File).Order());
        }
    }

    [SkippableFact]
    public void A_temporary_a_killed_upload_left_is_removed_by_the_next_copy_once_an_hour_has_passed_since_its_last_write()
    {
        server.Require();
        using var t = new TempDir();
        var local = IncompressibleBackup(t, "app", 1);
        string dir = server.NewDirectory();
        Directory.CreateDirectory(dir);
        // What kill -9 of an upload leaves (its bytes so far under a temporary name); one stopped 61 minutes ago, and one
        // 30 minutes ago, which is left alone. A day was the age before: a killed upload of a large backup kept its bytes
        // on the server's disk through the next runs, and a nearly full disk then refused them.
        string old = Path.Combine(dir, $"{SftpStore.TempPrefix}{Guid.NewGuid():N}{AtomicFile.TempSuffix}");
        string young = Path.Combine(dir, $"{SftpStore.TempPrefix}{Guid.NewGuid():N}{AtomicFile.TempSuffix}");
        File.WriteAllBytes(old, new byte[1 << 20]);
        File.WriteAllBytes(young, new byte[1 << 20]);
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow - TimeSpan.FromMinutes(61));
        File.SetLastWriteTimeUtc(young, DateTime.UtcNow - TimeSpan.FromMinutes(30));
        using var store = Open(server, dir);

        Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, store).Status);

        Assert.False(File.Exists(old));
        Assert.True(File.Exists(young));
        // The probe that read the server's clock is gone too.
        Assert.Equal(new[] { Path.GetFileName(young), local.Manifest.File, local.Manifest.File + BackupManifest.Suffix }.Order(StringComparer.Ordinal), Names(dir).Order(StringComparer.Ordinal));
    }
}
