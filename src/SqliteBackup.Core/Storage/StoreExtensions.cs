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
}
