using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Tests.Storage;

public sealed class LocalDirectoryStoreTests : StoreContract, IDisposable
{
    readonly TempDir _dir = new();

    protected override IBackupStore NewStore() =>
        StoreRegistry.Open(Path.Combine(_dir.Path, Guid.NewGuid().ToString("N")[..8]), new StoreOptions { Create = true });

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Local_paths_and_file_uris_open_a_directory_store_and_an_unknown_scheme_is_refused()
    {
        Assert.IsType<LocalDirectoryStore>(StoreRegistry.Open(_dir.Path));
        Assert.IsType<LocalDirectoryStore>(StoreRegistry.Open(new Uri(_dir.Path).AbsoluteUri));
        var e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("gopher://user:hunter2@host/x"));
        Assert.Equal("UnknownStoreScheme", e.ErrorId);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [SkippableFact]
    public void Stat_of_an_object_another_process_keeps_creating_and_deleting_is_there_or_not_never_unreadable()
    {
        Skip.If(OperatingSystem.IsWindows(), "uses bash for the other process");
        using var store = new LocalDirectoryStore(_dir.Path);
        string name = "sqlitebackup-repository.json";
        File.WriteAllText(_dir["seed"], "{}");
        // Another writer putting the object in place (a hard link, atomic) and someone removing it, as fast as they can.
        var psi = new System.Diagnostics.ProcessStartInfo("bash", ["-c", $"cd '{_dir.Path}' && while :; do ln seed {name}; rm -f {name}; done"]);
        using var other = System.Diagnostics.Process.Start(psi)!;
        try
        {
            int seen = 0, absent = 0;
            var until = DateTime.UtcNow.AddSeconds(2);
            while (DateTime.UtcNow < until)
            {
                if (store.Stat(name) is { } o) { Assert.Equal(2, o.Size); seen++; }
                else absent++;
            }
            Assert.True(seen > 0 && absent > 0, $"the other process did not race the stat: seen {seen}, absent {absent}");
        }
        finally
        {
            other.Kill();
            other.WaitForExit();
        }
    }

    [Fact]
    public void A_missing_directory_is_created_only_for_writers()
    {
        string missing = _dir["not-yet"];
        Assert.Equal("BackupDirectoryNotFound", Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open(missing)).ErrorId);
        using var store = StoreRegistry.Open(missing, new StoreOptions { Create = true });
        Assert.True(Directory.Exists(missing));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(missing));
    }

    [Fact]
    public void Objects_are_owner_only_and_no_temporary_is_left()
    {
        using var store = NewStore();
        store.Put("o", new MemoryStream(Bytes(1000)), createOnly: true);
        var dir = ((LocalDirectoryStore)store).Directory;
        Assert.Equal(["o"], Directory.GetFiles(dir).Select(Path.GetFileName));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "o")));
    }

    [Fact]
    public void A_symlink_planted_at_a_name_is_neither_listed_nor_read()
    {
        if (OperatingSystem.IsWindows()) return;
        using var store = NewStore();
        var dir = ((LocalDirectoryStore)store).Directory;
        File.WriteAllText(_dir["secret.txt"], "not yours");
        File.CreateSymbolicLink(Path.Combine(dir, "link.db.zst"), _dir["secret.txt"]);
        Assert.Empty(store.List());
        Assert.Null(store.Stat("link.db.zst"));
        Assert.Equal("UnsafeFileLink", Assert.Throws<SqliteBackupException>(() => store.OpenRead("link.db.zst").Dispose()).ErrorId);
    }

    [Fact]
    public void Two_writers_racing_for_one_name_one_wins_and_the_other_is_told()
    {
        using var store = NewStore();
        var results = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, i =>
        {
            try { store.Put("race", new MemoryStream(Bytes(256 * 1024, i)), createOnly: true); results.Add("won"); }
            catch (SqliteBackupException e) { results.Add(e.ErrorId); }
        });
        Assert.Equal(1, results.Count(r => r == "won"));
        Assert.Equal(7, results.Count(r => r == "StoreObjectExists"));
        Assert.Single(store.List());
    }
}
