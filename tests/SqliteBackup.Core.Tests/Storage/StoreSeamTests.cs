using System.Text.RegularExpressions;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// Backup objects are reached only through the storage seam (IBackupStore): a local directory's guarantees (temporary
/// name, fsync, rename, directory fsync, owner-only modes, no symlink followed, other users' files refused) live in
/// LocalDirectoryStore alone, so that every location gets the same engine, catalog, verifier, restorer and rotation.
/// This reads the sources, because a File.Exists on a backup path compiles and works, until a location is remote.
/// </summary>
public class StoreSeamTests
{
    static string CoreRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "SqliteBackup.PS.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("SqliteBackup.PS.sln not found"), "src", "SqliteBackup.Core");
    }

    /// <summary>Folders that never handle backup objects, or are the seam itself.</summary>
    static readonly Dictionary<string, string> OutOfScope = new()
    {
        ["Storage"] = "the store implementations and the file primitives LocalDirectoryStore is built on",
        ["Trust"] = "file-system trust primitives (no-follow opens, directory trust) that LocalDirectoryStore uses, and the restore target's lock",
        ["Snapshot"] = "the source database",
        ["Guard"] = "the source database",
        ["Scheduling"] = "unit files, plists and task XML",
        ["Logging"] = "the backup log",
        ["Notifications"] = "no files",
        ["Errors"] = "no files",
    };

    /// <summary>
    /// What may still touch files outside the seam, file by file, API by API, and why: none of it is a backup object (a
    /// data file or manifest), only scratch, the source, the restore target or files of their own. Small on purpose: a new
    /// entry needs a reason that is not "a backup object".
    /// </summary>
    static readonly Dictionary<string, (string[] Calls, string Why)> Allowed = new()
    {
        ["Backups/BackupEngine.cs"] = (["Directory.Exists", "File.Exists", "new FileInfo", "AtomicFile.TryDelete", "AtomicFile.TempPathBeside", "PrivateFiles.CreateNew", "new FileStream"],
            "the source database (stat only) and the backup API's raw copy, a scratch file; when adopted uncompressed, the store publishes it (LocalDirectoryStore.PublishTemporary)"),
        ["Backups/SampleDatabase.cs"] = (["File.Exists"], "creates a sample source database"),
        ["Catalog/BackupCatalog.cs"] = (["Directory.Exists", "File.Exists"], "tells what a path typed by the user is (a folder, a database, a missing folder) for the error message"),
        ["Restore/Restorer.cs"] = (["Directory.Exists", "File.Exists", "AtomicFile.TempPathBeside", "File.Move", "AtomicFile.TryDelete", "AtomicFile.FlushDirectory", "new FileInfo", "File.ResolveLinkTarget", "PrivateFiles.CreateNew", "new FileStream", "File.SetUnixFileMode"],
            "the restore target database, its side files and its PreRestore move; the checked scratch copy"),
        ["Jobs/BackupJob.cs"] = (["File.Exists", "Directory.Exists"], "the source databases and the job log"),
        ["Jobs/JobLock.cs"] = (["PrivateFiles.EnsureDirectory", "new FileStream", "NoFollowFile.OpenOrCreate", "AtomicFile.WriteAllBytes", "NoFollowFile.ReadAllBytes", "File.Delete"], "the job's lock file"),
        ["Jobs/BackupJobConfigFile.cs"] = (["File.Exists", "File.ReadAllText", "PrivateFiles.EnsureDirectory", "AtomicFile.WriteAllBytes"], "the job configuration file"),
        ["Reporting/BackupReport.cs"] = (["AtomicFile.WriteAllBytes"], "the HTML report"),
        ["Format/Unpacker.cs"] = (["PrivateFiles.CreateNew"], "the decompressed scratch copy a check or restore asks for"),
        ["Format/HashingStream.cs"] = (["new FileStream"], "HashFile, for the engine's scratch raw copy"),
        ["Repository/RepositoryLock.cs"] = (["File.ReadAllText"], "/proc/<pid>/stat, to tell a lock holder that is gone from one that lives"),
        ["Encryption/AgeIdentityFile.cs"] = (["Directory.Exists", "File.Delete", "File.Exists", "File.GetUnixFileMode", "File.Move", "File.ReadAllText", "new FileStream"],
            "age identity (key) files the user names: read, permission-checked, written owner-only by New-SqliteBackupKey"),
        ["Jobs/JobEncryption.cs"] = (["File.GetUnixFileMode", "File.ReadAllText"], "the passphrase file a job configuration names: read and permission-checked"),
        ["Repository/SnapshotExporter.cs"] = (["new FileInfo", "new FileStream"], "reads back the reassembled scratch image it exports as a plain backup"),
        ["Repository/SnapshotReader.cs"] = (["PrivateFiles.CreateNew", "AtomicFile.TryDelete"],
            "the reassembled scratch copy a check or restore asks for; packs and indexes are read through the store"),
        ["Repository/ImageAssembler.cs"] = (["RandomAccess.Write", "RandomAccess.Read"],
            "the scratch copy being reassembled: blocks written at their positions, each segment read back to hash the image in order"),
    };

    static readonly Regex FileCall = new(
        @"(?<![\w.])(?:System\.IO\.)?(?:File|Directory|AtomicFile|PrivateFiles|NoFollowFile|RandomAccess)\.\w+|new (?:FileInfo|DirectoryInfo|FileStream)\(", RegexOptions.Compiled);

    static Dictionary<string, SortedSet<string>> Calls()
    {
        string root = CoreRoot();
        var found = new Dictionary<string, SortedSet<string>>();
        foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (rel.StartsWith("obj/") || rel.StartsWith("bin/") || OutOfScope.ContainsKey(rel.Split('/')[0])) continue;
            foreach (var line in File.ReadLines(path))
            {
                if (line.TrimStart().StartsWith("//")) continue;
                foreach (Match m in FileCall.Matches(line))
                {
                    string call = m.Value.Replace("System.IO.", "").TrimEnd('(');
                    (found.TryGetValue(rel, out var set) ? set : found[rel] = new SortedSet<string>(StringComparer.Ordinal)).Add(call);
                }
            }
        }
        return found;
    }

    [Fact]
    public void No_core_type_outside_the_stores_touches_files_except_the_allowed_scratch_source_and_own_files()
    {
        var strays = Calls()
            .SelectMany(kv => kv.Value.Where(call => !(Allowed.TryGetValue(kv.Key, out var a) && a.Calls.Contains(call))).Select(call => $"{kv.Key}: {call}"))
            .ToList();
        Assert.Empty(strays);
    }

    [Fact]
    public void The_allow_list_holds_nothing_no_longer_needed()
    {
        var calls = Calls();
        var unused = Allowed
            .SelectMany(kv => kv.Value.Calls.Where(call => !(calls.TryGetValue(kv.Key, out var set) && set.Contains(call))).Select(call => $"{kv.Key}: {call}"))
            .ToList();
        Assert.Empty(unused);
    }

    [Fact]
    public void The_scan_finds_a_file_call_where_there_is_one()
    {
        Assert.Matches(FileCall, "if (File.Exists(backup.Path)) return;");
        Assert.Matches(FileCall, "using var s = new FileStream(backup.Path, FileMode.Open);");
        Assert.Matches(FileCall, "System.IO.Directory.EnumerateFiles(backup.Directory)");
        Assert.DoesNotMatch(FileCall, "string d = backup.Directory.TrimEnd('/');");
    }
}
