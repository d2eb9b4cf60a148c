using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Azure;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// How an Azure location is read: no server needed. In the Azurite collection all the same, because one test sets
/// AZURE_STORAGE_* variables, which the store tests there read (collections run in parallel, a collection's tests not).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureLocationTests
{
    [Theory]
    // written                                                                          account            container   prefix       endpoint (null: the account's own)      shown and reopened as
    [InlineData("azure://myaccount/backups", "myaccount", "backups", "", null, "azure://myaccount/backups")]
    [InlineData("azure://MyAccount/backups/app/daily/", "myaccount", "backups", "app/daily", null, "azure://myaccount/backups/app/daily")]
    [InlineData("azure://myaccount/backups/a%20b", "myaccount", "backups", "a b", null, "azure://myaccount/backups/a b")]
    [InlineData("azure://myaccount/backups/app?endpoint=https://myaccount.blob.core.windows.net", "myaccount", "backups", "app", null, "azure://myaccount/backups/app")]
    [InlineData("azure://devstoreaccount1/c1x/p?endpoint=http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1", "c1x", "p", "http://127.0.0.1:10000/devstoreaccount1/", "azure+http://127.0.0.1:10000/devstoreaccount1/c1x/p")]
    [InlineData("azure://devstoreaccount1/c1x/p?endpoint=http%3A%2F%2F127.0.0.1%3A10000", "devstoreaccount1", "c1x", "p", "http://127.0.0.1:10000/devstoreaccount1/", "azure+http://127.0.0.1:10000/devstoreaccount1/c1x/p")]
    [InlineData("azure://myaccount/backups?endpoint=https://myaccount.blob.core.usgovcloudapi.net", "myaccount", "backups", "", "https://myaccount.blob.core.usgovcloudapi.net/", "azure+https://myaccount.blob.core.usgovcloudapi.net/backups")]
    [InlineData("azure+https://myaccount.blob.core.windows.net/backups/app", "myaccount", "backups", "app", null, "azure://myaccount/backups/app")]
    [InlineData("azure+https://myaccount.blob.core.windows.net/backups", "myaccount", "backups", "", null, "azure://myaccount/backups")]
    [InlineData("azure+http://127.0.0.1:10000/devstoreaccount1/backups/app/x", "devstoreaccount1", "backups", "app/x", "http://127.0.0.1:10000/devstoreaccount1/", "azure+http://127.0.0.1:10000/devstoreaccount1/backups/app/x")]
    [InlineData("azure+http://localhost:10000/devstoreaccount1/backups", "devstoreaccount1", "backups", "", "http://localhost:10000/devstoreaccount1/", "azure+http://localhost:10000/devstoreaccount1/backups")]
    // A prefix with '%', '#' or '?' in it is shown escaped, so that what is shown reopens it.
    [InlineData("azure://myaccount/backups/pct%2541", "myaccount", "backups", "pct%41", null, "azure://myaccount/backups/pct%2541")]
    [InlineData("azure://myaccount/backups/tag%23w/what%3F", "myaccount", "backups", "tag#w/what?", null, "azure://myaccount/backups/tag%23w/what%3F")]
    [InlineData("azure+http://127.0.0.1:10000/devstoreaccount1/backups/100%25/ü", "devstoreaccount1", "backups", "100%/ü", "http://127.0.0.1:10000/devstoreaccount1/", "azure+http://127.0.0.1:10000/devstoreaccount1/backups/100%25/ü")]
    public void Locations_are_read_as_account_container_prefix_and_endpoint(string written, string account, string container, string prefix, string? endpoint, string shown)
    {
        var l = AzureLocation.Parse(new Uri(written));
        Assert.Equal((account, container, prefix), (l.Account, l.Container, l.Prefix));
        Assert.Equal(endpoint, l.Endpoint?.AbsoluteUri);
        Assert.Equal(shown, l.Text);
        // What is shown reopens the same place.
        Assert.Equal(l, AzureLocation.Parse(new Uri(l.Text)));
    }

    [Theory]
    [InlineData("azure://myaccount", "names no container")]
    [InlineData("azure://myaccount/", "names no container")]
    [InlineData("azure://my-account/backups", "is not a storage account name")]
    [InlineData("azure://ab/backups", "is not a storage account name")]
    [InlineData("azure://myaccount/Backups", "is not a container name")]
    [InlineData("azure://myaccount/b--x", "is not a container name")]
    [InlineData("azure://myaccount/ab", "is not a container name")]
    [InlineData("azure://myaccount/backups/a//b", "empty, '.' or '..' segment")]
    [InlineData("azure://myaccount:10000/backups", "names an account, not a host and port")]
    [InlineData("azure://myaccount/backups?region=x", "'region' is not a setting")]
    [InlineData("azure://myaccount/backups?endpoint=ftp://h", "is not an http:// or https:// URL")]
    [InlineData("azure://devstoreaccount1/backups?endpoint=http://127.0.0.1:10000/otheraccount", "the endpoint names the account 'otheraccount'")]
    [InlineData("azure+https://example.com/backups", "no storage account can be read")]
    [InlineData("azure+https://myaccount.blob.core.windows.net/", "names no container")]
    [InlineData("azure+http://127.0.0.1:10000/devstoreaccount1/backups?comp=list", "takes no query")]
    [InlineData("azure+ftp://myaccount.blob.core.windows.net/backups", "the scheme is not")]
    // System.Uri drops a fragment and resolves dot segments: these would have named another place without a word.
    [InlineData("azure://myaccount/backups/p#x", "fragment")]
    [InlineData("azure://myaccount/backups/x/../db", "segment ('..')")]
    [InlineData("azure://myaccount/backups/x/%2E%2E/db", "segment ('%2E%2E')")]
    [InlineData("azure://myaccount/backups/x/%2e/db", "segment ('%2e')")]
    [InlineData("azure://myaccount/backups/./db", "segment ('.')")]
    [InlineData("azure://myaccount/x/../backups", "segment ('..')")]
    [InlineData("azure+http://127.0.0.1:10000/devstoreaccount1/backups/x/../db", "segment ('..')")]
    [InlineData("azure+http://127.0.0.1:10000/devstoreaccount1/backups/db#x", "fragment")]
    [InlineData("azure+https://myaccount.blob.core.windows.net/backups/%2E%2E/db", "segment ('%2E%2E')")]
    [InlineData("azure+https://myaccount.blob.core.windows.net/backups//db", "segment ('')")]
    public void Locations_that_cannot_work_are_refused_with_the_reason(string written, string reason)
    {
        var e = Assert.Throws<SqliteBackupException>(() => AzureLocation.Parse(new Uri(written)));
        Assert.Equal("StoreLocationInvalid", e.ErrorId);
        Assert.Contains(reason, e.Message);
        Assert.Contains("azure://account/container/prefix", e.RecommendedAction);
        // Shown as written (less any query), not as System.Uri resolved it.
        Assert.Contains(written.Split('?', '#')[0], e.Message);
    }

    [Theory]
    [InlineData("azure+https://myaccount.blob.core.windows.net/backups/app?sv=2023-11-03&sp=rwdl&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D")]
    [InlineData("azure://myaccount/backups?sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D&sv=2023-11-03")]
    [InlineData("azure://myaccount:c2VjcmV0LXNpZ25hdHVyZQ@myaccount/backups")]
    public void A_secret_in_the_location_is_refused_and_not_repeated(string written)
    {
        var e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open(written));
        Assert.Equal("StoreLocationInvalid", e.ErrorId);
        Assert.Contains("AZURE_STORAGE_SAS_TOKEN", e.Message);
        Assert.DoesNotContain("c2VjcmV0LXNpZ25hdHVyZQ", e.Message + e.RecommendedAction);
    }

    [Fact]
    public void A_SAS_token_is_never_sent_over_plain_http_beyond_this_machine()
    {
        var saved = Environment.GetEnvironmentVariable("AZURE_STORAGE_SAS_TOKEN");
        var savedOthers = new[] { "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var v in savedOthers.Keys) Environment.SetEnvironmentVariable(v, null);
            Environment.SetEnvironmentVariable("AZURE_STORAGE_SAS_TOKEN", "sv=2023-11-03&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D");
            var e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("azure+http://10.1.2.3:10000/devstoreaccount1/backups"));
            Assert.Equal("StoreAccessDenied", e.ErrorId);
            Assert.Contains("unencrypted", e.Message);
            Assert.DoesNotContain("c2VjcmV0LXNpZ25hdHVyZQ", e.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("AZURE_STORAGE_SAS_TOKEN", saved);
            foreach (var (v, value) in savedOthers) Environment.SetEnvironmentVariable(v, value);
        }
    }

    [Fact]
    public void Blocks_stay_8_MiB_for_78_GiB_and_50000_blocks_hold_more_than_2_TiB()
    {
        Assert.Equal(8 << 20, AzureUpload.BlockSize(AzureStore.DefaultBlockSize, 1));
        Assert.Equal(8 << 20, AzureUpload.BlockSize(AzureStore.DefaultBlockSize, 10_000));
        Assert.Equal(16 << 20, AzureUpload.BlockSize(AzureStore.DefaultBlockSize, 10_001));
        long total = Enumerable.Range(1, AzureUpload.MaxBlocks).Sum(n => (long)AzureUpload.BlockSize(AzureStore.DefaultBlockSize, n));
        Assert.True(total > 2L << 40, $"50,000 blocks hold only {total} bytes");
    }
}
