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
/// The copier hashes no source on the way: the destination's hash of what it holds is compared with the manifest, and
/// only on a mismatch is the source read again to say whose fault it was. A backup file truncated while it was read
/// (another process, a full disk's cleanup) and put back before that second read looked whole then, and the copy was
/// reported CopyCorrupted, "does not hold what was sent", sending the operator to the server and the network, when
/// the destination held exactly what was read. Found with truncate(1) run beside Copy-SqliteBackup to the real sshd.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class SourceChangedWhileCopiedTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    /// <summary>Truncates the backup file on disk to half just before its first read by the upload, and puts it back once the upload is done.</summary>
    sealed class ShrinkingSourceStore(IBackupStore inner, string sourceFile) : IBackupStore, IServiceChecksum
    {
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);
        public string? ServiceSha256(string name, long size, CancellationToken ct = default) => (inner as IServiceChecksum)?.ServiceSha256(name, size, ct);
        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() => inner.Dispose();

        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
        {
            byte[] original = File.ReadAllBytes(sourceFile);
            try { inner.Put(name, new Truncating(content, () => { using var f = new FileStream(sourceFile, FileMode.Open, FileAccess.Write, FileShare.ReadWrite); f.SetLength(original.Length / 2); }), createOnly, progress, ct); }
            finally
            {
                using var f = new FileStream(sourceFile, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                f.Write(original);
            }
        }
    }

    sealed class Truncating(Stream inner, Action truncate) : ReadThroughStream
    {
        Action? _truncate = truncate;
        public override int Read(Span<byte> buffer)
        {
            Interlocked.Exchange(ref _truncate, null)?.Invoke();
            return inner.Read(buffer);
        }
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_source_truncated_while_it_was_copied_and_put_back_is_the_sources_fault_and_nothing_stays(bool sftp)
    {
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 2000);
        var local = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"] });
        var before = File.ReadAllBytes(local.Path);
        string dir = sftp ? server.NewDirectory() : t["dest"];
        IBackupStore inner = sftp ? new SftpStore(new Uri(server.LocationOf(dir)), new StoreOptions { Create = true }) : new LocalDirectoryStore(dir, new StoreOptions { Create = true });
        using var store = new ShrinkingSourceStore(inner, local.Path);

        var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(local, store));
        Assert.Equal("BackupChecksumMismatch", e.ErrorId);
        Assert.Contains("changed while it was copied", e.Message);
        Assert.Equal(before, File.ReadAllBytes(local.Path)); // put back: a second read finds it whole
        Assert.Empty(Directory.Exists(dir) ? Directory.GetFiles(dir).Where(f => !Path.GetFileName(f).StartsWith('.')) : []);
    }
}
