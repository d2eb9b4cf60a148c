using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Trust;

namespace SqliteBackup.Core.Storage.Local;

/// <summary>
/// A backup directory on a local (or mounted) file system, with the guarantees backups have always had here: objects
/// are written owner-only under a temporary name, flushed, renamed into place and the directory flushed; create-only
/// is link(2)'s "fails if it exists", so two writers can never replace each other; nothing is read through a symlink;
/// a directory other users can write is refused unless the user says otherwise.
/// </summary>
public sealed class LocalDirectoryStore : IFileSystemStore, IStaleUploadCleanup
{
    public LocalDirectoryStore(string directory, StoreOptions? options = null)
    {
        options ??= new StoreOptions();
        Directory = Path.GetFullPath(directory);
        if (File.Exists(Directory)) throw BackupErrors.BackupPathIsFile(Directory, Snapshot.SqliteFiles.HasSqliteHeader(Directory));
        if (!System.IO.Directory.Exists(Directory))
        {
            if (!options.Create) throw BackupErrors.BackupDirectoryNotFound(Directory);
            PrivateFiles.EnsureDirectory(Directory);
        }
        DirectoryTrust.Demand(Directory, options.AllowInsecureDirectory);
        _owners = TrustedOwners.For(Directory);
    }

    readonly TrustedOwners _owners;

    /// <summary>
    /// What a writer checks before it opens its source, so a refused destination leaves no trace: the path is no file,
    /// and a directory that exists already is one it may trust. <see cref="LocalDirectoryStore(string, StoreOptions?)"/>
    /// with Create checks again once the directory exists.
    /// </summary>
    public static void CheckBeforeCreate(string directory, bool allowInsecureDirectory)
    {
        directory = Path.GetFullPath(directory);
        if (File.Exists(directory)) throw BackupErrors.BackupDirectoryIsFile(directory);
        DirectoryTrust.Demand(directory, allowInsecureDirectory);
    }

    public string Directory { get; }
    public string Location => Directory;

    public string PathOf(string name)
    {
        StoreNames.Check(name, Location);
        return Path.Combine(Directory, name);
    }

    public IReadOnlyList<StoredObject> List(CancellationToken ct = default)
    {
        var list = new List<StoredObject>();
        foreach (var info in new DirectoryInfo(Directory).EnumerateFiles())
        {
            ct.ThrowIfCancellationRequested();
            if (info.Name.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal)) continue;
            // An object deleted by another process between the enumeration and its stat is simply not listed.
            try
            {
                if (info.LinkTarget != null) continue;
                list.Add(new StoredObject(info.Name, info.Length, info.LastWriteTimeUtc));
            }
            catch (FileNotFoundException) { }
        }
        return list;
    }

    public StoredObject? Stat(string name, CancellationToken ct = default)
    {
        var info = new FileInfo(PathOf(name));
        if (info.Exists) return info.LinkTarget == null ? new StoredObject(info.Name, info.Length, info.LastWriteTimeUtc) : null;
        if (info.LinkTarget != null) return null;
        // Exists is also false for a file we may not see: the stat's own error tells that apart from a file not there.
        try { File.GetAttributes(info.FullName); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        catch (UnauthorizedAccessException) { throw new UnauthorizedAccessException($"'{info.FullName}' cannot be looked at: this user may list its folder but not look into it."); }
        // It is there now: another writer put it in place between the two looks.
        info.Refresh();
        return info.Exists && info.LinkTarget == null ? new StoredObject(info.Name, info.Length, info.LastWriteTimeUtc) : null;
    }

    public Stream OpenRead(string name, CancellationToken ct = default)
    {
        try { return NoFollowFile.OpenRead(PathOf(name), 1 << 20); }
        catch (FileNotFoundException) { throw BackupErrors.StoreObjectNotFound(Location, name); }
    }

    public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        string final = PathOf(name);
        string temp = AtomicFile.TempPathBeside(final);
        try
        {
            using (var output = PrivateFiles.CreateNew(temp, 1 << 20))
            {
                var buffer = new byte[1 << 20];
                long total = 0;
                int n;
                while ((n = content.Read(buffer)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    output.Write(buffer, 0, n);
                    total += n;
                    progress?.Report(total);
                }
                output.Flush(flushToDisk: true);
            }
            if (createOnly) AtomicFile.PublishCreateOnly(temp, final, () => BackupErrors.StoreObjectExists(Location, name));
            else AtomicFile.PublishReplacing(temp, final);
        }
        finally { AtomicFile.TryDelete(temp); }
    }

    /// <summary>
    /// Where a writer that produces an object itself, instead of handing it over as a stream, writes it first: the engine
    /// compresses into a file it flushes as it goes, on a background thread, and adopts a backup-API copy as it is (a
    /// rename, not a copy of a gigabyte). Our temporary-name pattern, so a killed writer's is cleaned up by the next run.
    /// </summary>
    public string TemporaryPathFor(string name) => AtomicFile.TempPathBeside(PathOf(name));

    /// <summary>Creates the temporary, owner-only and new (a name that exists, a symlink among them, is refused).</summary>
    public FileStream CreateTemporary(string tempPath, int bufferSize = 1 << 20) => PrivateFiles.CreateNew(OwnTemporary(tempPath), bufferSize);

    /// <summary>
    /// Makes a temporary from <see cref="TemporaryPathFor"/> visible as <paramref name="name"/>, as <see cref="Put"/> does:
    /// flushed, renamed (create-only by link(2) when asked), the directory flushed.
    /// </summary>
    public void PublishTemporary(string tempPath, string name, bool createOnly)
    {
        string final = PathOf(name);
        tempPath = OwnTemporary(tempPath);
        if (createOnly) AtomicFile.PublishCreateOnly(tempPath, final, () => BackupErrors.StoreObjectExists(Location, name));
        else AtomicFile.PublishReplacing(tempPath, final);
    }

    /// <summary>Removes a temporary that will not be published; never throws.</summary>
    public void DeleteTemporary(string tempPath) => AtomicFile.TryDelete(OwnTemporary(tempPath));

    /// <summary>Only our own temporaries in this directory: a path from elsewhere is never renamed into, or deleted from, it.</summary>
    string OwnTemporary(string tempPath)
    {
        string full = Path.GetFullPath(tempPath);
        string name = Path.GetFileName(full);
        if (Path.GetDirectoryName(full) != Path.TrimEndingDirectorySeparator(Directory) || !name.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal) || !name.EndsWith(AtomicFile.TempSuffix, StringComparison.Ordinal))
            throw new ArgumentException($"'{tempPath}' is not a temporary of {Location}.", nameof(tempPath));
        return full;
    }

    public void Delete(string name, CancellationToken ct = default)
    {
        try { File.Delete(PathOf(name)); }
        catch (DirectoryNotFoundException) { }
    }

    public byte[] ReadOwned(string name, int maxBytes, out string? distrust)
    {
        // The owner is judged on the descriptor that was read (fstat), not on the name, which can change in between.
        byte[] bytes = NoFollowFile.ReadAllBytes(PathOf(name), out var status, maxBytes);
        distrust = _owners.Trusts(status) ? null : $"it is owned by uid {status!.Value.Uid}, neither root, the directory's owner nor you";
        return bytes;
    }

    public string? Distrust(string name)
    {
        string path = PathOf(name);
        if (Posix.Supported)
        {
            if (Posix.Lstat(path) is not { } st) return null;
            if (st.IsSymlink) return "is a symbolic link";
            if (!st.IsRegular) return "is not a regular file";
            return _owners.Trusts(st) ? null : $"is owned by uid {st.Uid}, neither root, the directory's owner nor you";
        }
        return new FileInfo(path) is { Exists: true, LinkTarget: not null } ? "is a symbolic link" : null;
    }

    /// <summary>Our temporaries are named for their writer's process, so a dead writer's are stale at once; a live one's after a day.</summary>
    public TimeSpan StaleAfter => TimeSpan.FromDays(1);

    /// <summary>
    /// Removes temporaries that dead writers left (our temporary-name pattern only, see <see cref="AtomicFile.IsStaleTemp"/>);
    /// <paramref name="olderThan"/> is for services that cannot tell a dead writer's upload from a live one's: here the
    /// process id in the name tells.
    /// </summary>
    public int AbortStaleUploads(TimeSpan olderThan, CancellationToken ct = default)
    {
        var now = DateTime.UtcNow;
        int removed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, AtomicFile.TempPrefix + "*"))
        {
            ct.ThrowIfCancellationRequested();
            if (!AtomicFile.IsStaleTemp(file, now)) continue;
            AtomicFile.TryDelete(file);
            if (!File.Exists(file)) removed++;
        }
        return removed;
    }

    public void Dispose() { }

    public override string ToString() => Location;
}
