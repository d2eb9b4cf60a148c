using System.Security.Cryptography;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// What every store promises, run against each real back end: a subclass only says how to get a fresh, empty store.
/// Everything above the seam (manifest last, idempotent copies, rotation) relies on exactly these behaviours.
/// </summary>
public abstract class StoreContract
{
    /// <summary>A new, empty location; the subclass removes it afterwards.</summary>
    protected abstract IBackupStore NewStore();

    protected static byte[] Bytes(int size, int seed = 1)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }

    static byte[] ReadAll(IBackupStore store, string name)
    {
        using var s = store.OpenRead(name);
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    [SkippableFact]
    public void Put_then_read_back_the_same_bytes_and_size()
    {
        using var store = NewStore();
        var data = Bytes(3 * 1024 * 1024 + 17);
        store.Put("a_20261130-120000_manual_00000001.db.zst", new MemoryStream(data), createOnly: true);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(ReadAll(store, "a_20261130-120000_manual_00000001.db.zst")));
        var stat = store.Stat("a_20261130-120000_manual_00000001.db.zst");
        Assert.NotNull(stat);
        Assert.Equal(data.Length, stat!.Size);
        Assert.Contains(store.List(), o => o.Name == "a_20261130-120000_manual_00000001.db.zst" && o.Size == data.Length);
    }

    [SkippableFact]
    public void Create_only_never_replaces_an_existing_object()
    {
        using var store = NewStore();
        store.Put("x.manifest.json", new MemoryStream(Bytes(100, 1)), createOnly: true);
        var e = Assert.Throws<SqliteBackupException>(() => store.Put("x.manifest.json", new MemoryStream(Bytes(100, 2)), createOnly: true));
        Assert.Equal("StoreObjectExists", e.ErrorId);
        Assert.Equal(Bytes(100, 1), ReadAll(store, "x.manifest.json"));
        // Replacing is possible when asked for (a manifest gaining a verification record).
        store.Put("x.manifest.json", new MemoryStream(Bytes(100, 3)), createOnly: false);
        Assert.Equal(Bytes(100, 3), ReadAll(store, "x.manifest.json"));
    }

    [SkippableFact]
    public void A_failing_upload_leaves_nothing_visible()
    {
        using var store = NewStore();
        var e = Assert.ThrowsAny<Exception>(() => store.Put("half.db.zst", new FailingStream(Bytes(2 * 1024 * 1024), failAfter: 1024 * 1024), createOnly: true));
        Assert.Null(store.Stat("half.db.zst"));
        Assert.DoesNotContain(store.List(), o => o.Name == "half.db.zst");
        Assert.Empty(store.List());
    }

    [SkippableFact]
    public void Missing_objects_are_null_or_StoreObjectNotFound_and_deleting_them_is_not_an_error()
    {
        using var store = NewStore();
        Assert.Null(store.Stat("nope"));
        Assert.Equal("StoreObjectNotFound", Assert.Throws<SqliteBackupException>(() => store.OpenRead("nope").Dispose()).ErrorId);
        store.Delete("nope");
    }

    [SkippableFact]
    public void Delete_removes_the_object()
    {
        using var store = NewStore();
        store.Put("d", new MemoryStream(Bytes(10)), createOnly: true);
        store.Delete("d");
        Assert.Null(store.Stat("d"));
        Assert.Empty(store.List());
    }

    [SkippableTheory]
    [InlineData("../escape")]
    [InlineData("sub/dir")]
    [InlineData("..")]
    [InlineData("")]
    public void Names_with_a_path_are_refused(string name)
    {
        using var store = NewStore();
        Assert.Equal("StoreObjectNameInvalid", Assert.Throws<SqliteBackupException>(() => store.Put(name, new MemoryStream(Bytes(1)), createOnly: true)).ErrorId);
        Assert.Equal("StoreObjectNameInvalid", Assert.Throws<SqliteBackupException>(() => store.OpenRead(name).Dispose()).ErrorId);
    }

    [SkippableFact]
    public void The_location_names_no_secret()
    {
        using var store = NewStore();
        Assert.DoesNotContain("secret", store.Location, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Gives its bytes, then fails like a dropped connection or a full disk in the middle of a transfer.</summary>
    protected sealed class FailingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= failAfter) throw new IOException("the source failed mid-transfer");
            return base.Read(buffer, offset, (int)Math.Min(count, failAfter - Position));
        }

        public override int Read(Span<byte> buffer)
        {
            if (Position >= failAfter) throw new IOException("the source failed mid-transfer");
            return base.Read(buffer[..(int)Math.Min(buffer.Length, failAfter - Position)]);
        }
    }
}
