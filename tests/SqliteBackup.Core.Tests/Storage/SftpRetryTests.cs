using System.Diagnostics;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// SFTP's retries against the real sshd behind a hop that drops connections: a failed connection is made again within
/// the operation's limit, an answer (a refused login) is not asked twice, and an upload whose source was read is never
/// sent a second time.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class SftpRetryTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    /// <summary>A store reaching the server through <paramref name="hop"/>, whose port known_hosts is taught.</summary>
    SftpStore Through(DroppingForwarder hop, string directory, StoreOptions? options = null)
    {
        server.TrustHop(hop.Port);
        return new SftpStore(new Uri($"sftp://{server.User}@127.0.0.1:{hop.Port}{directory}"), options ?? new StoreOptions { Create = true });
    }

    static byte[] Bytes(int n)
    {
        var b = new byte[n];
        new Random(n).NextBytes(b);
        return b;
    }

    [SkippableFact]
    public void Connections_the_network_drops_are_made_again_and_every_operation_succeeds()
    {
        server.Require();
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 2);
        using var store = Through(hop, dir);

        Assert.Empty(store.List());
        Assert.Equal(3, hop.Accepted);

        // The link drops between operations (a NAT that forgot the flow, a restarted router): each next one reconnects.
        var data = Bytes(3 << 20);
        hop.CutAll();
        store.Put("a.db.zst", new MemoryStream(data), createOnly: true);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(dir, "a.db.zst")));
        Assert.DoesNotContain(Directory.GetFiles(dir), f => Path.GetFileName(f).StartsWith(".sqlitebackup", StringComparison.Ordinal));

        hop.CutAll();
        Assert.Equal(data.Length, store.Stat("a.db.zst")!.Size);
        hop.CutAll();
        using (var read = store.OpenRead("a.db.zst"))
        using (var copy = new MemoryStream())
        {
            read.CopyTo(copy);
            Assert.Equal(data, copy.ToArray());
        }
        hop.CutAll();
        hop.DropNext(1);
        store.Delete("a.db.zst");
        Assert.False(File.Exists(Path.Combine(dir, "a.db.zst")));
        Assert.True(hop.Accepted >= 8, $"{hop.Accepted} connections");
    }

    [SkippableFact]
    public void A_path_that_keeps_dropping_is_unavailable_after_five_attempts_within_the_operations_limit()
    {
        server.Require();
        using var hop = new DroppingForwarder(server.Port, dropFirst: int.MaxValue);
        using (var store = Through(hop, server.NewDirectory(), new StoreOptions { Timeout = TimeSpan.FromSeconds(20), RequestTimeout = TimeSpan.FromSeconds(2) }))
        {
            var watch = Stopwatch.StartNew();
            var e = Assert.Throws<SqliteBackupException>(() => store.List());
            Assert.Equal("StoreUnavailable", e.ErrorId);
            Assert.Equal(SftpRetries.MaxRetries + 1, hop.Accepted);
            Assert.Contains($"{SftpRetries.MaxRetries + 1} attempts, each on a new connection", e.Message);
            Assert.Matches(@"gave up after \d+(\.\d)? s", e.Message);
            // Backoffs of 0.1-0.2, 0.2-0.4, 0.4-0.8 and 0.8-1.6 s.
            Assert.InRange(watch.Elapsed.TotalSeconds, 1.4, 15);
        }

        // 2 s in all, 2 s per request: after the first attempt no whole attempt fits, and none is started.
        int before = hop.Accepted;
        using (var store = Through(hop, server.NewDirectory(), new StoreOptions { Timeout = TimeSpan.FromSeconds(2) }))
        {
            var e = Assert.Throws<SqliteBackupException>(() => store.List());
            Assert.Equal("StoreUnavailable", e.ErrorId);
            Assert.Equal(1, hop.Accepted - before);
            Assert.Contains("with no further attempt started", e.Message);
        }
    }

    [SkippableFact]
    public void A_refused_login_is_an_answer_and_is_not_asked_again()
    {
        server.Require();
        string stranger = Path.Combine(server.Dir, "stranger_" + Guid.NewGuid().ToString("N")[..6]);
        Cli.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger);
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using var store = Through(hop, server.NewDirectory());
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, stranger);

        var e = Assert.Throws<SqliteBackupException>(() => store.List());

        Assert.Equal("StoreAccessDenied", e.ErrorId);
        Assert.Equal(1, hop.Accepted);
    }

    [SkippableFact]
    public void An_upload_cut_after_its_source_was_read_is_not_sent_again_and_leaves_no_object()
    {
        server.Require();
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using var store = Through(hop, dir);
        store.Put("first", new MemoryStream(Bytes(10)), createOnly: true);
        int before = hop.Accepted;
        var source = new CuttingStream(Bytes(8 << 20), cutAfter: 3 << 20, hop.CutAll);

        var e = Assert.Throws<SqliteBackupException>(() => store.Put("half.db.zst", source, createOnly: true));

        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.Contains("abandoned", e.Message);
        Assert.Equal(1, source.Passes);
        Assert.Equal(before, hop.Accepted);
        Assert.False(File.Exists(Path.Combine(dir, "half.db.zst")));
        Assert.Equal(["first"], store.List().Select(o => o.Name));
    }

    [SkippableFact]
    public void A_download_cut_part_way_goes_on_from_where_it_stopped_on_a_new_connection()
    {
        server.Require();
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using var store = Through(hop, dir);
        var data = Bytes(8 << 20);
        store.Put("a.db.zst", new MemoryStream(data), createOnly: true);
        int before = hop.Accepted;

        using var read = store.OpenRead("a.db.zst");
        var got = new MemoryStream();
        var buffer = new byte[1 << 20];
        for (int i = 0; i < 2; i++) got.Write(buffer, 0, ReadFully(read, buffer));
        hop.CutAll();
        hop.DropNext(1); // and the first reconnect is refused too
        read.CopyTo(got);

        Assert.Equal(data, got.ToArray());
        Assert.True(hop.Accepted >= before + 2, $"{hop.Accepted - before} new connection(s)");
    }

    [SkippableFact]
    public void A_download_cut_part_way_is_not_joined_to_a_file_that_replaced_it_meanwhile()
    {
        server.Require();
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using var store = Through(hop, dir);
        var data = Bytes(8 << 20);
        store.Put("a.db.zst", new MemoryStream(data), createOnly: true);
        string path = Path.Combine(dir, "a.db.zst");

        using var read = store.OpenRead("a.db.zst");
        var buffer = new byte[1 << 20];
        ReadFully(read, buffer);
        hop.CutAll();
        // Another writer puts a different file of the same size in its place (a later second on its clock).
        var other = Bytes((8 << 20) + 1).AsSpan(0, 8 << 20).ToArray();
        File.WriteAllBytes(path + ".new", other);
        File.SetLastWriteTimeUtc(path + ".new", File.GetLastWriteTimeUtc(path).AddSeconds(5));
        File.Move(path + ".new", path, overwrite: true);

        var e = Assert.Throws<SqliteBackupException>(() => read.CopyTo(Stream.Null));

        Assert.Equal("StoreObjectChanged", e.ErrorId);
        Assert.Contains("a.db.zst", e.Message);
    }

    [SkippableFact]
    public void A_download_whose_server_stays_away_fails_as_unavailable_after_its_retries()
    {
        server.Require();
        string dir = server.NewDirectory();
        using var hop = new DroppingForwarder(server.Port, dropFirst: 0);
        using var store = Through(hop, dir, new StoreOptions { Create = true, Timeout = TimeSpan.FromSeconds(10), RequestTimeout = TimeSpan.FromSeconds(2) });
        store.Put("a.db.zst", new MemoryStream(Bytes(8 << 20)), createOnly: true);

        using var read = store.OpenRead("a.db.zst");
        ReadFully(read, new byte[1 << 20]);
        hop.DropNext(int.MaxValue);
        hop.CutAll();
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<SqliteBackupException>(() => read.CopyTo(Stream.Null));

        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 40);
    }

    static int ReadFully(Stream s, byte[] buffer)
    {
        int n = 0, r;
        while (n < buffer.Length && (r = s.Read(buffer, n, buffer.Length - n)) > 0) n += r;
        return n;
    }
}
