using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Notifications;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Sftp;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// Links cut at the worst moments of writing a backup to the real sshd: after the server acted on a request and before
/// its answer arrived. Whatever the writer then believes, the location must never hold a manifest whose data object
/// it deleted, nor a backup called good that is not.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class SftpCutTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    SftpStore Through(DroppingForwarder hop, string directory)
    {
        server.TrustHop(hop.Port);
        return new SftpStore(new Uri($"sftp://{server.User}@127.0.0.1:{hop.Port}{directory}"), new StoreOptions { Create = true });
    }

    static string[] Visible(string dir) => Directory.Exists(dir)
        ? Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Where(n => !n.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal)).ToArray()
        : [];

    /// <summary>
    /// Once a visible object matching <paramref name="slowFrom"/> is in <paramref name="dir"/>, the server's answers
    /// come 300 ms late; the instant one matching <paramref name="cutAt"/> appears (the server renamed it into place),
    /// every connection is cut, and the answer to that rename is lost on the way.
    /// </summary>
    static Task<bool> CutWhenRenamed(DroppingForwarder hop, string dir, Func<string, bool> slowFrom, Func<string, bool> cutAt, CancellationToken stop) => Task.Run(() =>
    {
        while (!stop.IsCancellationRequested)
        {
            var names = Visible(dir);
            if (hop.ReplyDelay == TimeSpan.Zero && names.Any(slowFrom)) hop.ReplyDelay = TimeSpan.FromMilliseconds(300);
            if (names.Any(cutAt))
            {
                hop.CutAll();
                hop.ReplyDelay = TimeSpan.Zero;
                return true;
            }
            Thread.Sleep(2);
        }
        return false;
    }, CancellationToken.None);

    static bool IsManifest(string n) => n.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal);

    /// <summary>
    /// Runs <paramref name="act"/> on a store in a fresh directory whose link is cut the instant an object matching
    /// <paramref name="cutAt"/> is renamed into place (see <see cref="CutWhenRenamed"/>); returns what it returned or
    /// the error it failed with.
    /// </summary>
    (T? Result, SqliteBackupException? Failed, string Dir) CutAtRename<T>(Func<string, bool> slowFrom, Func<string, bool> cutAt, Func<SftpStore, T> act) where T : class
    {
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using var store = Through(hop, dir);
        using var stop = new CancellationTokenSource();
        var cut = CutWhenRenamed(hop, dir, slowFrom, cutAt, stop.Token);
        T? result = null;
        SqliteBackupException? failed = null;
        try { result = act(store); }
        catch (SqliteBackupException e) { failed = e; }
        stop.Cancel();
        Assert.True(cut.Result, "the link was cut as the manifest was renamed into place");
        return (result, failed, dir);
    }

    [SkippableFact]
    public void A_new_backup_whose_manifest_rename_lost_its_answer_keeps_its_data_object()
    {
        server.Require();
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 50);
        var (made, failed, dir) = CutAtRename(n => !IsManifest(n), IsManifest,
            store => RemoteBackup.Create(new BackupRequest(t["app.db"]) { Verify = VerificationLevel.Quick }, store, new ListLogger()));

        string manifest = Assert.Single(Visible(dir), IsManifest);
        var m = BackupManifest.TryParse(File.ReadAllBytes(Path.Combine(dir, manifest)), out _)!;
        // The manifest is published: deleting its data object "after the failure" would leave a backup that lists as
        // present and is gone.
        Assert.True(File.Exists(Path.Combine(dir, m.File)), $"the manifest points at a deleted data object; the backup reported: {failed?.ErrorId} {failed?.Message}");
        // It is the whole backup, and this run wrote it: the lost answer does not make it a failure.
        Assert.Null(failed);
        Assert.Equal(m.Id, made!.Manifest.Id);
        Assert.Equal(m.StoredSha256, Db.Sha(Path.Combine(dir, m.File)));
        server.ResetEnvironment();
        using var fresh = new SftpStore(new Uri(server.LocationOf(dir)));
        Assert.Equal(m.Id, Assert.Single(new StoreCatalog().List(fresh)).Id);
    }

    [SkippableFact]
    public void A_copy_whose_manifest_rename_lost_its_answer_is_a_copy_made()
    {
        server.Require();
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 50);
        var local = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["local"], Verify = VerificationLevel.None });
        var (copy, failed, dir) = CutAtRename(n => !IsManifest(n), IsManifest, store => new BackupCopier().Copy(local, store));

        Assert.True(failed == null, $"reported as failed although the copy is there: {failed?.Message}");
        Assert.Equal(CopyStatus.Copied, copy!.Status);
        Assert.Equal(local.Id, copy.Copy.Id);
        Assert.Equal(local.Manifest.StoredSha256, Db.Sha(Path.Combine(dir, local.Manifest.File)));
    }

    [SkippableFact]
    public void An_incremental_backup_whose_snapshot_manifest_rename_lost_its_answer_is_a_snapshot_made()
    {
        server.Require();
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 50);
        var (made, failed, dir) = CutAtRename(RepositoryNames.IsPack, RepositoryNames.IsSnapshotManifest,
            store => RemoteBackup.Create(new BackupRequest(t["app.db"]) { Incremental = true, Verify = VerificationLevel.Quick }, store, new ListLogger()));

        string manifest = Assert.Single(Visible(dir), RepositoryNames.IsSnapshotManifest);
        // The snapshot is published and whole: the lost answer must not make this run report a failed backup.
        Assert.True(failed == null, $"reported as failed although the snapshot is there: {failed?.ErrorId} {failed?.Message}");
        var m = BackupManifest.TryParse(File.ReadAllBytes(Path.Combine(dir, manifest)), out _)!;
        Assert.Equal(m.Id, made!.Manifest.Id);
        server.ResetEnvironment();
        using var fresh = new SftpStore(new Uri(server.LocationOf(dir)));
        var listed = Assert.Single(new StoreCatalog().List(fresh));
        Assert.True(new BackupVerifier().Verify(listed, fresh, VerificationLevel.Standard, record: false).Passed);
    }

    [SkippableFact]
    public void A_snapshot_copy_whose_manifest_rename_lost_its_answer_is_a_copy_made()
    {
        server.Require();
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 50);
        var snapshot = SqliteBackup.Core.Tests.Repository.RepositoryCopyTests.Snapshot(t["app.db"], t["repo"]);
        var (copy, failed, dir) = CutAtRename(RepositoryNames.IsPack, RepositoryNames.IsSnapshotManifest, store => new RepositoryCopier().Copy(snapshot, store));

        Assert.True(failed == null, $"reported as failed although the copy is there: {failed?.ErrorId} {failed?.Message}");
        Assert.Equal(CopyStatus.Copied, copy!.Status);
        Assert.Equal(snapshot.Id, copy.Copy.Id);
        server.ResetEnvironment();
        using var fresh = new SftpStore(new Uri(server.LocationOf(dir)));
        Assert.True(new BackupVerifier().Verify(Assert.Single(new StoreCatalog().List(fresh)), fresh, VerificationLevel.Standard, record: false).Passed);
    }

    [SkippableFact]
    public void A_job_whose_link_drops_once_its_copy_landed_does_not_say_the_copy_failed_and_keeps_the_local_backup()
    {
        server.Require();
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using (Through(hop, dir)) { } // teaches known_hosts the hop's port
        var c = Jobs.BackupJobTests.Config(t, $$"""
            { "databases": ["./app.db"], "weekly_restore_test": false, "keep_local_until_copied": true, "retention_last": 1, "retention_days": 0, "retention_weeks": 0, "retention_months": 0,
              "destinations": [{ "path": "sftp://{{server.User}}@127.0.0.1:{{hop.Port}}{{dir}}", "timeout_sec": 4 }] }
            """);
        Assert.All(Jobs.BackupJobTests.Run(c), r => Assert.True(r.Succeeded, r.Error));
        using var stop = new CancellationTokenSource();
        // The second run's copy lands (its manifest is renamed into place and answered); then the link goes down for good,
        // before the destination is listed and rotated.
        int Copied()
        {
            try { return File.ReadLines(c.LogFile).Count(l => l.Contains("\"BackupCopied\"", StringComparison.Ordinal)); }
            catch (IOException) { return 0; }
        }
        var down = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // From the second manifest on, answers come 300 ms late; once the job has logged the copy (the rename's
                // answer arrived), the listing's answer is still on its way when the link goes.
                if (hop.ReplyDelay == TimeSpan.Zero && Visible(dir).Count(IsManifest) == 2) hop.ReplyDelay = TimeSpan.FromMilliseconds(300);
                if (hop.ReplyDelay > TimeSpan.Zero && Copied() == 2)
                {
                    hop.DropNext(int.MaxValue);
                    hop.CutAll();
                    return true;
                }
                Thread.Sleep(1);
            }
            return false;
        }, CancellationToken.None);

        var second = Jobs.BackupJobTests.Run(c).Single();
        stop.Cancel();

        Assert.True(down.Result);
        // The copy is there, whole: the destination's rotation (it would remove the first copy) is what did not run.
        var there = Visible(dir).Where(IsManifest).Select(n => BackupManifest.TryParse(File.ReadAllBytes(Path.Combine(dir, n)), out _)!).ToList();
        var copy = Assert.Single(there, m => m.Id == second.Backup!.Id);
        Assert.Equal(copy.StoredSha256, Db.Sha(Path.Combine(dir, copy.File)));
        Assert.False(second.Succeeded);
        var d = Assert.Single(second.Destinations);
        Assert.Equal("StoreUnavailable", d.ErrorId);
        Assert.NotNull(d.Copy);
        // Told as what it is: the copy is there; listing and rotating the destination failed.
        Assert.DoesNotContain("copy to", second.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("rotat", second.Error);
        var note = NotificationMessage.ForJob(c.ConfigPath, [second]);
        Assert.DoesNotContain("copy to", note.Summary, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(note.Destinations!, l => l.Contains("copy to", StringComparison.OrdinalIgnoreCase));
        // Nothing local was given up on the strength of a destination that could not be listed.
        Assert.Equal(2, new BackupCatalog().List(c.BackupDirectory).Count);
    }

    [SkippableFact]
    public void An_upload_whose_rename_lost_its_answer_does_not_claim_it_left_no_object()
    {
        server.Require();
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using var store = Through(hop, dir);
        Assert.Empty(store.List()); // connected, the directory made
        hop.ReplyDelay = TimeSpan.FromMilliseconds(150);
        using var stop = new CancellationTokenSource();
        var cut = CutWhenRenamed(hop, dir, _ => false, n => n == "a.db.zst", stop.Token);

        var e = Assert.Throws<SqliteBackupException>(() => store.Put("a.db.zst", new MemoryStream(new byte[5000]), createOnly: true));
        stop.Cancel();

        Assert.True(cut.Result);
        Assert.Equal("StoreUnavailable", e.ErrorId);
        // The server did put it in place; only the answer was lost. The error must not tell the operator otherwise.
        Assert.True(File.Exists(Path.Combine(dir, "a.db.zst")));
        Assert.DoesNotContain("left no object", e.Message);
        Assert.Contains("may be there", e.Message);
    }

    [SkippableFact]
    public void An_upload_whose_link_goes_silent_fails_within_the_operations_limit_and_leaves_no_object()
    {
        server.Require();
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        server.TrustHop(hop.Port);
        var options = new StoreOptions { Create = true, Timeout = TimeSpan.FromSeconds(8), RequestTimeout = TimeSpan.FromSeconds(2), StallTimeout = TimeSpan.FromSeconds(2) };
        using var store = new SftpStore(new Uri($"sftp://{server.User}@127.0.0.1:{hop.Port}{dir}"), options);
        Assert.Empty(store.List());
        var data = new byte[16 << 20];
        new Random(3).NextBytes(data);
        var source = new SilencingStream(data, 2 << 20, () => hop.Silent = true);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var put = Task.Run(() => store.Put("a.db.zst", source, createOnly: true));
        bool ended = ((IAsyncResult)put).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30));
        hop.Silent = false;
        hop.CutAll();
        Assert.True(ended, "a silent link held the upload past three times its operation's limit");
        var e = Assert.IsType<SqliteBackupException>(put.Exception?.InnerException);
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.InRange(watch.Elapsed.TotalSeconds, 1, 12);
        Assert.False(File.Exists(Path.Combine(dir, "a.db.zst")));
    }

    [SkippableFact]
    public void Rotation_whose_link_drops_after_a_manifest_went_removes_no_kept_backup_and_the_orphan_is_reported()
    {
        server.Require();
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 20);
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using (var store = Through(hop, dir))
            for (int i = 0; i < 3; i++)
            {
                var local = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["local"], Type = BackupType.Automatic, Verify = VerificationLevel.None });
                new BackupCopier().Copy(local, store);
            }
        var access = new StoreAccess($"sftp://{server.User}@127.0.0.1:{hop.Port}{dir}", new StoreOptions { Timeout = TimeSpan.FromSeconds(3), RequestTimeout = TimeSpan.FromSeconds(1) });
        IReadOnlyList<BackupInfo> listed;
        using (var store = access.Open()) listed = new StoreCatalog().List(store, access);
        Assert.Equal(3, listed.Count);
        var decisions = BackupRotation.Plan(listed, new RetentionPolicy { KeepLast = 1 }, TimeZoneInfo.Utc);
        var newest = listed.MaxBy(b => b.CreatedUtc)!;
        using var stop = new CancellationTokenSource();
        // The moment the first manifest is gone, the link goes down for good (answers travel late, so the request to
        // delete its data object cannot have gone out yet): that data object, and the next backup, stay.
        hop.ReplyDelay = TimeSpan.FromMilliseconds(200);
        var down = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (Visible(dir).Count(IsManifest) < 3)
                {
                    hop.DropNext(int.MaxValue);
                    hop.CutAll();
                    return true;
                }
                Thread.Sleep(1);
            }
            return false;
        }, CancellationToken.None);

        var failures = new List<SqliteBackupException>();
        foreach (var d in decisions.OrderByDescending(d => d.Backup.CreatedUtc))
        {
            try { new BackupRotation(new ListLogger()).Apply(d); }
            catch (SqliteBackupException e) { failures.Add(e); }
        }
        stop.Cancel();

        Assert.True(down.Result);
        Assert.NotEmpty(failures);
        Assert.All(failures, e => Assert.Equal("StoreUnavailable", e.ErrorId));
        Assert.DoesNotContain(decisions, d => d.Removed && d.Backup.Id == newest.Id);
        // Every manifest left has its data object; the one whose manifest went leaves a data object the listing reports.
        var names = Visible(dir);
        foreach (var manifest in names.Where(IsManifest)) Assert.Contains(manifest[..^BackupManifest.Suffix.Length], names);
        Assert.Contains(newest.Manifest.File + BackupManifest.Suffix, names);
        Assert.Contains(newest.Manifest.File, names);
        string orphan = Assert.Single(names, n => !IsManifest(n) && !names.Contains(n + BackupManifest.Suffix));
        // Past the hour within which a data object without a manifest may be an upload under way.
        File.SetLastWriteTimeUtc(Path.Combine(dir, orphan), DateTime.UtcNow.AddHours(-2));
        server.ResetEnvironment();
        var log = new ListLogger();
        using var direct = new SftpStore(new Uri(server.LocationOf(dir)));
        var after = new StoreCatalog(log).List(direct);
        Assert.Contains(after, b => b.Id == newest.Id);
        Assert.Equal(names.Count(IsManifest), after.Count);
        Assert.Contains(log.Warnings, w => w.Contains(orphan));
    }

    [SkippableFact]
    public void A_data_object_altered_or_deleted_on_the_server_after_the_listing_is_never_verified_nor_restored()
    {
        server.Require();
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 50);
        Db.CreatePaired(t["target.db"], wal: false, fillerRows: 3);
        string before = Db.Sha(t["target.db"]);
        string dir = server.NewDirectory();
        using var store = new SftpStore(new Uri(server.LocationOf(dir)), new StoreOptions { Create = true });
        RemoteBackup.Create(new BackupRequest(t["app.db"]) { Type = BackupType.Automatic }, store, new ListLogger());
        var listed = Assert.Single(new StoreCatalog().List(store));
        string data = Path.Combine(dir, listed.Manifest.File);

        // Same size, one byte changed, behind the listing's back (the size check cannot see it).
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 3] ^= 0x01;
        File.WriteAllBytes(data, bytes);
        foreach (var level in new[] { VerificationLevel.Quick, VerificationLevel.Standard })
        {
            using var fresh = new SftpStore(new Uri(server.LocationOf(dir)));
            var r = new BackupVerifier().Verify(listed, fresh, level, record: false);
            Assert.True(r.Outcome == VerificationOutcome.Failed, $"{level}: {r.Outcome} {r.Message}");
        }
        var restore = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(listed, store, new RestoreRequest(t["target.db"]) { Force = true, NoPreRestoreBackup = true }));
        Assert.Equal("BackupChecksumMismatch", restore.ErrorId);
        Assert.Equal(before, Db.Sha(t["target.db"]));

        // Gone after the listing.
        File.Delete(data);
        var gone = new BackupVerifier().Verify(listed, store, VerificationLevel.Quick, record: false);
        Assert.Equal(VerificationOutcome.Failed, gone.Outcome);
        Assert.ThrowsAny<SqliteBackupException>(() => new Restorer().Restore(listed, store, new RestoreRequest(t["target.db"]) { Force = true, NoPreRestoreBackup = true }));
        Assert.Equal(before, Db.Sha(t["target.db"]));
    }

    [SkippableFact]
    public void A_copy_whose_hashing_connection_is_dropped_is_proven_by_reading_it_back()
    {
        server.Require();
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 50);
        var local = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["local"], Verify = VerificationLevel.None });
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using var store = Through(hop, dir);
        Assert.Empty(store.List()); // the SFTP connection, kept throughout the copy
        // The next connection is the one the server's hash command would run on, once the data object is in place
        // (a small upload opens none early): it is dropped. Armed now, not when the object is seen, which a fast
        // machine's hash connection would outrun.
        int before = hop.Accepted;
        hop.DropNext(1);

        var copy = new BackupCopier().Copy(local, store);

        Assert.Equal(CopyStatus.Copied, copy.Status);
        Assert.True(hop.Accepted > before, "no connection was attempted for the hash"); // the SFTP one was kept throughout
        Assert.NotNull(store.ServiceHashUnavailable);
        Assert.Equal(local.Manifest.StoredSize, store.BytesRead); // proven by the bytes read back instead
        Assert.Equal(local.Manifest.StoredSha256, Db.Sha(Path.Combine(dir, local.Manifest.File)));
    }

    [SkippableFact]
    public void An_upload_whose_rename_answer_comes_too_late_is_not_reported_as_someone_elses_object()
    {
        server.Require();
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        server.TrustHop(hop.Port);
        var options = new StoreOptions { Create = true, Timeout = TimeSpan.FromSeconds(20), RequestTimeout = TimeSpan.FromSeconds(1), StallTimeout = TimeSpan.FromSeconds(1) };
        using var store = new SftpStore(new Uri($"sftp://{server.User}@127.0.0.1:{hop.Port}{dir}"), options);
        Assert.Empty(store.List());
        // A slow server: the answer to the rename (the first thing it sends once the object is in place) comes after the
        // request's limit; what follows comes at once.
        string final = Path.Combine(dir, "a.db.zst");
        int late = 0;
        hop.ReplyDelayRule = () => File.Exists(final) && Interlocked.Exchange(ref late, 1) == 0 ? TimeSpan.FromMilliseconds(1500) : TimeSpan.Zero;

        var e = Assert.Throws<SqliteBackupException>(() => store.Put("a.db.zst", new MemoryStream(new byte[5000]), createOnly: true));

        Assert.Equal(1, late);
        Assert.True(File.Exists(final));
        // It is our own object, put in place by this very upload: "exists" would send the operator looking for another writer.
        Assert.NotEqual("StoreObjectExists", e.ErrorId);
        Assert.Contains("may be there", e.Message);
    }

    /// <summary>Gives its bytes; past a point, runs an action once.</summary>
    sealed class SilencingStream(byte[] data, int after, Action act) : MemoryStream(data)
    {
        bool _done;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= after && !_done)
            {
                _done = true;
                act();
            }
            return base.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            var chunk = new byte[buffer.Length];
            int n = Read(chunk, 0, chunk.Length);
            chunk.AsSpan(0, n).CopyTo(buffer);
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer, offset, count));
    }
}
