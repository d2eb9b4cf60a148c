using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Tests.Storage;

public class StoreOptionsTests
{
    [Fact]
    public void Printing_store_options_or_a_credential_source_never_shows_the_secret()
    {
        var options = new StoreOptions { UserName = "AKIAEXAMPLE", Secret = "wJalrXUtnFEMI-secret" };
        Assert.DoesNotContain("wJalrXUtnFEMI-secret", options.ToString());
        Assert.Contains("AKIAEXAMPLE", options.ToString());
        Assert.DoesNotContain("wJalrXUtnFEMI-secret", new StoreAccess("s3://b/p", options).ToString());
        Assert.Equal("user from $K, secret from $S", new DestinationCredential("K", "S", null).ToString());
    }
}
