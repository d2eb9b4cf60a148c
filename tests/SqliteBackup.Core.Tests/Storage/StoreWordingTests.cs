using System.Net;
using System.Net.Sockets;
using Renci.SshNet.Common;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Azure;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>A store's errors advise about that store, and say only what happened (a listing abandons no upload).</summary>
public sealed class StoreWordingTests
{
    const string Location = "sftp://u@127.0.0.1:2222/srv/backups";

    public static TheoryData<string, Exception, string> SftpFailureCases => new()
    {
        { "login refused", new SshAuthenticationException("Permission denied (publickey)."), "StoreAccessDenied" },
        { "permission", new SftpPermissionDeniedException("Permission denied"), "StoreAccessDenied" },
        { "timeout", new SshOperationTimeoutException("Socket read operation has timed out"), "StoreUnavailable" },
        { "refused", new SocketException((int)SocketError.ConnectionRefused), "StoreUnavailable" },
        { "lost", new SshConnectionException("An established connection was aborted"), "StoreUnavailable" },
        { "proxy", new ProxyException("proxy said no"), "StoreUnavailable" },
        { "no path", new SftpPathNotFoundException("No such file"), "StoreLocationNotFound" },
        { "other", new SshException("Failure"), "StoreRequestFailed" },
        { "io", new IOException("reset", new SocketException((int)SocketError.ConnectionReset)), "StoreUnavailable" },
    };

    [Theory]
    [MemberData(nameof(SftpFailureCases))]
    public void Sftp_failures_carry_sftp_advice_and_never_s3s(string what, Exception failure, string errorId)
    {
        var e = SftpFailures.Map(failure, Location, CancellationToken.None);
        Assert.NotNull(e);
        Assert.Equal(errorId, e.ErrorId);
        Assert.Contains(Location, e.Message);
        StoreWording.AssertNoS3Advice(e);
        Assert.DoesNotContain("upload", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrWhiteSpace(what));
    }

    [Theory]
    [InlineData("sftp://u:pw@h/srv")]
    [InlineData("sftp://u@h/srv?x=1")]
    [InlineData("sftp://u@h/srv?fsync=yes")]
    [InlineData("sftp:///srv")]
    [InlineData("sftp://u@h/")]
    public void Sftp_location_errors_show_how_to_write_an_sftp_location(string location)
    {
        var e = Assert.Throws<SqliteBackupException>(() => SftpLocation.Parse(new Uri(location)));
        Assert.Equal("StoreLocationInvalid", e.ErrorId);
        StoreWording.AssertNoS3Advice(e);
        Assert.Contains("sftp://", e.RecommendedAction);
    }

    [Fact]
    public void A_dot_dot_in_an_sftp_location_is_shown_as_written()
    {
        var e = Assert.Throws<SqliteBackupException>(() => SftpLocation.Parse(new Uri("sftp://u@h/tmp/srv/x/../cw")));
        Assert.Contains("sftp://u@h/tmp/srv/x/../cw", e.Message);
    }

    [Fact]
    public void Listing_a_silent_s3_or_azure_server_says_nothing_of_an_upload()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var options = new StoreOptions { UserName = "KEY", Secret = "not-a-real-secret", Timeout = TimeSpan.FromMilliseconds(500) };
        using (var s3 = new S3Store(new Uri($"s3://bucket/p?endpoint=http://127.0.0.1:{port}"), options))
        {
            var e = Assert.Throws<SqliteBackupException>(() => s3.List());
            Assert.Equal("StoreUnavailable", e.ErrorId);
            Assert.DoesNotContain("upload", e.Message, StringComparison.OrdinalIgnoreCase);
        }
        using (var azure = StoreRegistry.Open($"azure://devstoreaccount1/cont/p?endpoint=http://127.0.0.1:{port}/devstoreaccount1",
                   new StoreOptions { UserName = "devstoreaccount1", Secret = Convert.ToBase64String(new byte[32]), Timeout = TimeSpan.FromMilliseconds(500) }))
        {
            var e = Assert.Throws<SqliteBackupException>(() => azure.List());
            Assert.Equal("StoreUnavailable", e.ErrorId);
            Assert.DoesNotContain("upload", e.Message, StringComparison.OrdinalIgnoreCase);
        }
    }
}

static class StoreWording
{
    public static void AssertNoS3Advice(SqliteBackupException e)
    {
        foreach (var text in new[] { e.Message, e.RecommendedAction })
        {
            Assert.DoesNotContain("AWS", text);
            Assert.DoesNotContain("S3", text);
            Assert.DoesNotContain("bucket", text, StringComparison.OrdinalIgnoreCase);
        }
    }
}
