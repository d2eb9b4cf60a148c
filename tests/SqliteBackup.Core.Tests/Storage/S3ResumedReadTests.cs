using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.S3;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// A download from the real radosgw cut part-way (a hop in front of it resets the connection): it goes on from the
/// first byte not read, and only onto the object it started with.
/// </summary>
[Collection(RadosGwCollection.Name)]
public sealed class S3ResumedReadTests(RadosGwServer server)
{
    static readonly StoreOptions Keys = new() { UserName = RadosGwServer.AccessKey, Secret = RadosGwServer.SecretKey };

    S3Store Through(DroppingForwarder hop, string bucket) =>
        new(new Uri($"s3://{bucket}/p?endpoint={Uri.EscapeDataString($"http://127.0.0.1:{hop.Port}/")}"), Keys);

    static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    static void ReadSome(Stream s, int bytes)
    {
        var buffer = new byte[bytes];
        int n = 0, r;
        while (n < bytes && (r = s.Read(buffer, n, bytes - n)) > 0) n += r;
    }

    [SkippableFact]
    public void A_download_cut_part_way_goes_on_from_where_it_stopped()
    {
        server.Require();
        string bucket = server.NewBucket();
        using var hop = new DroppingForwarder(server.Endpoint.Port, dropFirst: 0);
        using var store = Through(hop, bucket);
        var data = Bytes(24 << 20, 1);
        store.Put("a.db.zst", new MemoryStream(data), createOnly: true);
        int before = hop.Accepted;

        using var read = store.OpenRead("a.db.zst");
        var got = new MemoryStream();
        var first = new byte[4 << 20];
        int n = 0, r;
        while (n < first.Length && (r = read.Read(first, n, first.Length - n)) > 0) n += r;
        got.Write(first, 0, n);
        hop.CutAll();
        read.CopyTo(got);

        Assert.Equal(data.Length, got.Length);
        Assert.True(data.AsSpan().SequenceEqual(got.ToArray()), "the bytes read differ from the object's");
        Assert.True(hop.Accepted > before, "no new connection was made");
    }

    [SkippableFact]
    public void A_download_cut_part_way_is_not_joined_to_an_object_that_replaced_it_meanwhile()
    {
        server.Require();
        string bucket = server.NewBucket();
        using var hop = new DroppingForwarder(server.Endpoint.Port, dropFirst: 0);
        using var store = Through(hop, bucket);
        store.Put("a.db.zst", new MemoryStream(Bytes(24 << 20, 1)), createOnly: true);

        using var read = store.OpenRead("a.db.zst");
        ReadSome(read, 4 << 20);
        hop.CutAll();
        using (var other = new S3Store(new Uri(server.LocationOf(bucket, "p")), Keys))
            other.Put("a.db.zst", new MemoryStream(Bytes(24 << 20, 2)), createOnly: false);

        var e = Assert.Throws<SqliteBackupException>(() => read.CopyTo(Stream.Null));

        Assert.Equal("StoreObjectChanged", e.ErrorId);
        Assert.Contains("ETag", e.Message);
    }
}
