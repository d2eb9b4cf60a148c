using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Storage.Sftp;
using SqliteBackup.Core.Tests.Storage;

namespace SqliteBackup.Core.Tests.Copies;

/// <summary>
/// Two copies of the same backups to the same destination at once (two Copy-SqliteBackup processes, a job and a
/// hand-run copy). Each looks first and writes create-only, so one of them finds its data object or manifest written
/// by the other between its look and its write. Found with two pwsh processes against the real sshd: the loser
/// reported StoreObjectExists ("already exists ... left as it is") for backups that were there, whole, and a job
/// would have marked the destination failed. Here the other copy is run, whole, at exactly that moment.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class ConcurrentCopyTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    /// <summary>A store that runs <see cref="Before"/> once, just before the first Put of the object it names.</summary>
    sealed class RacedStore(IBackupStore inner) : IBackupStore
    {
        public (string Name, Action Run)? Before { get; set; }
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);

        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
        {
            if (Before is { } b && b.Name == name)
            {
                Before = null;
                b.Run();
            }
            inner.Put(name, content, createOnly, progress, ct);
        }

        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() => inner.Dispose();
    }

    IBackupStore Open(bool sftp, string dir) => sftp
        ? new SftpStore(new Uri(server.LocationOf(dir)), new StoreOptions { Create = true })
        : new LocalDirectoryStore(dir, new StoreOptions { Create = true });

    string NewDirectory(bool sftp, TempDir t)
    {
        if (!sftp) return t["dest"];
        server.Require();
        return server.NewDirectory();
    }

    static BackupInfo NewBackup(TempDir t)
    {
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 200);
        return new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"] });
    }

    [SkippableTheory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void A_copy_that_another_copy_of_the_same_backup_overtakes_is_AlreadyPresent_not_a_failure(bool sftp, bool atManifest)
    {
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = NewDirectory(sftp, t);
        string manifest = local.Manifest.File + BackupManifest.Suffix;
        using var mine = new RacedStore(Open(sftp, dir));
        CopyResult? theirs = null;
        // The other copy runs whole just before ours writes its data object (it looked: nothing there) or, having
        // written its data object, its manifest (the other then finds our data object and only adds the manifest).
        mine.Before = (atManifest ? manifest : local.Manifest.File, () =>
        {
            using var other = Open(sftp, dir);
            theirs = new BackupCopier().Copy(local, other);
        });

        var ours = new BackupCopier().Copy(local, mine);

        Assert.Equal(CopyStatus.Copied, theirs!.Status);
        Assert.Equal(CopyStatus.AlreadyPresent, ours.Status);
        Assert.Equal(local.Manifest.StoredSha256, ours.Copy.Manifest.StoredSha256);
        using var check = Open(sftp, dir);
        var listed = Assert.Single(new StoreCatalog().List(check));
        Assert.Equal(local.Manifest.File, listed.Manifest.File);
        Assert.Equal(local.Manifest.StoredSha256, check.ReadBackSha256(local.Manifest.File));
        Assert.DoesNotContain(check.List(), o => o.Name.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_rotation_that_deletes_the_manifest_while_its_lost_data_object_is_copied_again_leaves_the_backup_published_not_an_orphan(bool sftp)
    {
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = NewDirectory(sftp, t);
        string manifest = local.Manifest.File + BackupManifest.Suffix;
        using (var first = Open(sftp, dir)) Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, first).Status);
        // Its data object deleted behind our back: the next copy finds the manifest alone and uploads the data again.
        using (var hand = Open(sftp, dir)) hand.Delete(local.Manifest.File);
        using var mine = new RacedStore(Open(sftp, dir));
        // A rotation there deletes the manifest (then the data object, already gone) between our look and our upload.
        mine.Before = (local.Manifest.File, () =>
        {
            using var rotation = Open(sftp, dir);
            rotation.Delete(manifest);
        });

        var copy = new BackupCopier().Copy(local, mine);

        // Before: Copied, with the data object left without a manifest (an orphan, not listed).
        Assert.Equal(CopyStatus.Copied, copy.Status);
        using var check = Open(sftp, dir);
        Assert.Equal(local.Manifest.File, Assert.Single(new StoreCatalog().List(check)).Manifest.File);
        Assert.NotNull(check.Stat(manifest));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Another_backup_published_under_the_same_name_meanwhile_is_still_a_conflict_and_left_alone(bool sftp)
    {
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = NewDirectory(sftp, t);
        string manifest = local.Manifest.File + BackupManifest.Suffix;
        using var mine = new RacedStore(Open(sftp, dir));
        byte[] foreign = "{\"not\": \"this backup\"}"u8.ToArray();
        mine.Before = (manifest, () =>
        {
            using var other = Open(sftp, dir);
            other.Put(manifest, new MemoryStream(foreign), createOnly: true);
        });

        var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(local, mine));

        Assert.Equal("StoreObjectExists", e.ErrorId);
        using var check = Open(sftp, dir);
        Assert.Equal(foreign, check.ReadAllBytes(manifest));
    }
}
