using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>A store wrapper that counts what is put (objects and bytes, per name): what a backup wrote, measured at the seam.</summary>
public sealed class PutCounter(IBackupStore inner) : IBackupStore
{
    readonly object _gate = new();
    public List<(string Name, long Bytes)> Puts { get; } = [];
    public int Lists;

    public string Location => inner.Location;
    public IReadOnlyList<StoredObject> List(CancellationToken ct = default)
    {
        Interlocked.Increment(ref Lists);
        return inner.List(ct);
    }
    public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
    public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);

    public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        using var ms = new MemoryStream();
        content.CopyTo(ms);
        ms.Position = 0;
        inner.Put(name, ms, createOnly, progress, ct);
        lock (_gate) Puts.Add((name, ms.Length));
    }

    public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
    public void Dispose() => inner.Dispose();

    public long PackBytes => Puts.Where(p => p.Name.EndsWith(".pack", StringComparison.Ordinal)).Sum(p => p.Bytes);
    public int PackCount => Puts.Count(p => p.Name.EndsWith(".pack", StringComparison.Ordinal));
    public void Reset()
    {
        lock (_gate) Puts.Clear();
    }
}
