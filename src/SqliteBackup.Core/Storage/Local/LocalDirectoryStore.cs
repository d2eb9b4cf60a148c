using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Trust;

namespace SqliteBackup.Core.Storage.Local;

/// <summary>
/// A backup directory on a local (or mounted) file system, with the guarantees backups have always had here: objects
/// are written owner-only under a temporary name, flushed, renamed into place and the directory flushed; create-only
/// is link(2)'s "fails if it exists", so two writers can never replace each other; nothing is read through a symlink;
/// a directory other users can write is refused unless the user says otherwise.
/// </summary>
public sealed class LocalDirectoryStore : IBackupStore
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
    }

    public string Directory { get; }
    public string Location => Directory;

    string PathOf(string name)
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
        return info.Exists && info.LinkTarget == null ? new StoredObject(info.Name, info.Length, info.LastWriteTimeUtc) : null;
    }

    public Stream OpenRead(string name, CancellationToken ct = default)
    {
        try { return NoFollowFile.OpenRead(PathOf(name)); }
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

    public void Delete(string name, CancellationToken ct = default)
    {
        try { File.Delete(PathOf(name)); }
        catch (DirectoryNotFoundException) { }
    }

    public void Dispose() { }

    public override string ToString() => Location;
}
