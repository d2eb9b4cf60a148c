namespace SqliteBackup.Core;

/// <summary>A private temporary folder (0700) for decompressed copies, removed with everything SQLite left in it.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sqlitebackup-{purpose}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        PrivateFiles.EnsureDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
