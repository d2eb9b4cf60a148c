using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;

namespace SqliteBackup.Core.Storage;

public static class StoreExtensions
{
    /// <summary>A small object (a manifest) whole; anything larger than <paramref name="maxBytes"/> is not one of ours.</summary>
    public static byte[] ReadAllBytes(this IBackupStore store, string name, CancellationToken ct = default, int maxBytes = 16 << 20)
    {
        using var s = store.OpenRead(name, ct);
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = s.Read(buffer)) > 0)
        {
            if (ms.Length + n > maxBytes) throw new IOException($"'{name}' in {store.Location} is larger than {maxBytes} bytes, too large to be a manifest.");
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// Whether the small object <paramref name="name"/> holds exactly <paramref name="bytes"/>: after a write that
    /// failed, whether it landed all the same (the link cut after the service stored it, before its answer arrived; a
    /// retried create-only request refused by the first one's object). False where that cannot be told.
    /// </summary>
    public static bool Holds(this IBackupStore store, string name, byte[] bytes, CancellationToken ct = default)
    {
        try { return store.Stat(name, ct)?.Size == bytes.Length && store.ReadAllBytes(name, ct).AsSpan().SequenceEqual(bytes); }
        catch (Exception e) when (e is SqliteBackupException or IOException) { return false; }
    }

    /// <summary>
    /// Puts the manifest that publishes a backup, a copy or a snapshot (<paramref name="put"/> writes the stream it is
    /// given, create-only, through whatever locks the caller holds). A failed put does not prove it absent: this
    /// manifest there, byte for byte, is the backup published, and what fails is only the answer. Not so a manifest
    /// that landed and then could not be flushed to the server's disk where the location asks for that (?fsync=true,
    /// StoreFsyncUnavailable): its being there proves nothing the location asked for, so the failure stands, and the
    /// manifest is taken out again rather than left for the next copy to find and call AlreadyPresent.
    /// </summary>
    public static void PutManifest(this IBackupStore store, string name, byte[] bytes, Action<Stream> put, CancellationToken ct = default)
    {
        try
        {
            using var ms = new MemoryStream(bytes);
            put(ms);
        }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreFsyncUnavailable")
        {
            if (store.Holds(name, bytes, ct))
            {
                try { store.Delete(name, ct); }
                catch (SqliteBackupException) { } // the failure reported is the flush's; the manifest then stays, unflushed
            }
            throw;
        }
        // Nor one there but unlocked where the location locks: published so, it would be the backup stolen credentials can delete.
        catch (SqliteBackupException e) when (e.ErrorId != "StoreObjectLeftUnlocked" && store.Holds(name, bytes, ct)) { }
    }

    /// <summary>
    /// The SHA-256 of an object read once as a stream (nothing written to disk), for a service that keeps none of its
    /// own; <paramref name="read"/> gets the bytes read so far.
    /// </summary>
    public static string ReadBackSha256(this IBackupStore store, string name, Action<long>? read = null, CancellationToken ct = default)
    {
        using var input = store.OpenRead(name, ct);
        using var hashing = new HashingStream(input);
        var buffer = new byte[1 << 20];
        long done = 0;
        int n;
        while ((n = hashing.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            done += n;
            read?.Invoke(done);
        }
        return hashing.HashHex();
    }

    /// <summary>
    /// The object's SHA-256 as the service proves it without our reading the bytes: the checksum it recorded
    /// (<paramref name="stat"/>), else one it computes when asked (<see cref="IServiceChecksum"/>); null when it can do neither.
    /// </summary>
    public static string? ServiceSha256(this IBackupStore store, StoredObject stat, CancellationToken ct = default)
    {
        if (stat.Sha256 is { Length: 64 } recorded) return recorded;
        return store is IServiceChecksum service && service.ServiceSha256(stat.Name, stat.Size, ct) is { Length: 64 } computed ? computed : null;
    }
}
