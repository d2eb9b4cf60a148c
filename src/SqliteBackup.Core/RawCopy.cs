using Microsoft.Extensions.Logging;

namespace SqliteBackup.Core;

/// <summary>
/// The snapshot's uncompressed bytes, written from the same buffers that are hashed and compressed, so a new backup's
/// Standard check can run quick_check on them instead of writing a decompressed copy. Kept in a scratch folder
/// (-ScratchPath, or beside the backup). Optional by nature: if it cannot be written (no room), it is given up and the
/// verifier makes its usual decompressed copy, whose failure then names the real cause.
/// </summary>
internal sealed class RawCopy : IDisposable
{
    readonly ScratchDirectory _scratch;
    readonly ILogger _log;
    FileStream? _stream;

    RawCopy(ScratchDirectory scratch, ILogger log)
    {
        _scratch = scratch;
        _log = log;
        Path = scratch.File("raw.db");
    }

    public string Path { get; }
    public bool Abandoned { get; private set; }

    public static RawCopy? TryCreate(string? scratchPath, string backupDirectory, ILogger log)
    {
        try { return new RawCopy(ScratchDirectory.Create(scratchPath, backupDirectory, log), log); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogDebug("No scratch folder for the raw copy ({Message}); verification will decompress instead", e.Message);
            return null;
        }
    }

    // No fsync anywhere: the copy lives only until verification has read it back.
    public void Start() => Try(() => _stream = PrivateFiles.CreateNew(Path, 1 << 20));

    public void Write(byte[] buffer, int count)
    {
        if (_stream != null) Try(() => _stream.Write(buffer, 0, count));
    }

    public void Finish() => Try(() =>
    {
        _stream?.Flush();
        _stream?.Dispose();
        _stream = null;
    });

    void Try(Action action)
    {
        if (Abandoned) return;
        try { action(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Abandoned = true;
            _log.LogDebug("Giving up the raw copy in {Path} ({Message}); verification will decompress instead", Path, e.Message);
            try { _stream?.Dispose(); } catch (IOException) { }
            _stream = null;
            AtomicFile.TryDelete(Path);
        }
    }

    public void Dispose()
    {
        try { _stream?.Dispose(); } catch (IOException) { }
        _scratch.Dispose();
    }
}
