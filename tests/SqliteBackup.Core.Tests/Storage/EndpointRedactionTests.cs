using System.Net.Sockets;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Azure;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Storage.S3;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>A password in an endpoint or a location never reaches a message, its advice or a log line.</summary>
public sealed class EndpointRedactionTests
{
    const string Secret = "SEKRET-8146";

    [Theory]
    // written                                                          shown
    [InlineData("s3://bucket/p?endpoint=http://u:SEKRET-8146@h:1", "s3://bucket/p")]
    [InlineData("http://admin:SEKRET-8146@127.0.0.1:18699/", "http://admin@127.0.0.1:18699/")]
    [InlineData("http://admin:SEKRET-8146@127.0.0.1:18699", "http://admin@127.0.0.1:18699")]
    [InlineData("http://admin:SEK/RET-8146@127.0.0.1:18699/x", "http://admin@127.0.0.1:18699/x")]
    [InlineData("http://admin:SEK?RET-8146@127.0.0.1:18699/x", "http://admin@127.0.0.1:18699/x")]
    [InlineData("sftp://me:SEKRET-8146@host/srv/x/../db", "sftp://me@host/srv/x/../db")]
    [InlineData("s3://bucket/x/%2E%2E/p#frag", "s3://bucket/x/%2E%2E/p")]
    [InlineData("s3://bucket/me@home/p", "s3://bucket/me@home/p")]
    [InlineData("azure+http://127.0.0.1:10000/devstoreaccount1/c?sig=SEKRET-8146", "azure+http://127.0.0.1:10000/devstoreaccount1/c")]
    [InlineData("/var/backups/app", "/var/backups/app")]
    public void A_location_is_shown_as_written_less_its_password_query_and_fragment(string written, string shown)
    {
        Assert.Equal(shown, StoreText.Redact(written));
    }

    [Fact]
    public void A_store_failure_names_the_endpoint_without_its_user_info_in_the_error_and_in_the_cleanup_warning()
    {
        var endpoint = new Uri($"http://admin:{Secret}@127.0.0.1:9/");
        var unreachable = new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused));
        var s3 = S3Failures.Map(unreachable, "s3://bucket/p", endpoint, CancellationToken.None)!;
        var azure = AzureFailures.Map(unreachable, "azure://devstoreaccount1/c/p", endpoint, CancellationToken.None)!;
        foreach (var e in new[] { s3, azure })
        {
            Assert.Contains("127.0.0.1:9", e.Message);
            Assert.DoesNotContain(Secret, e.Message + e.RecommendedAction);
        }

        using var t = new TempDir();
        var log = new ListLogger();
        using var store = new FailingCleanup(new LocalDirectoryStore(t["dest"], new StoreOptions { Create = true }), s3);
        Assert.Equal(0, StaleUploads.Clean(store, log));
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("127.0.0.1:9", warning);
        Assert.DoesNotContain(Secret, string.Join("\n", log.Messages));
    }

    [Fact]
    public void An_endpoint_with_user_info_is_refused_by_the_location_parsers_without_repeating_it()
    {
        foreach (var written in new[]
                 {
                     $"s3://bucket/p?endpoint=http://u:{Secret}@127.0.0.1:9",
                     $"s3://bucket/p?endpoint=http%3A%2F%2Fu%3A{Secret}%40127.0.0.1%3A9",
                     $"azure://devstoreaccount1/c1x/p?endpoint=http://u:{Secret}@127.0.0.1:10000/devstoreaccount1",
                 })
        {
            var e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open(written));
            Assert.Equal("StoreLocationInvalid", e.ErrorId);
            Assert.DoesNotContain(Secret, e.Message + e.RecommendedAction + e);
        }
    }

    sealed class FailingCleanup(IBackupStore inner, Exception failure) : IBackupStore, IStaleUploadCleanup
    {
        public TimeSpan StaleAfter => TimeSpan.FromHours(24);
        public int AbortStaleUploads(TimeSpan olderThan, CancellationToken ct = default) => throw failure;
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);
        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default) => inner.Put(name, content, createOnly, progress, ct);
        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() => inner.Dispose();
    }
}
