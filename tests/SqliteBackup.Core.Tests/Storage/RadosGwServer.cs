using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// A real S3 server for the whole test run: Ceph radosgw over a one-node in-memory cluster, started by
/// tests/servers/radosgw.sh on free 127.0.0.1 ports and stopped when the run ends, whatever the tests did. .ci/run
/// installs Ceph and sets SQLITEBACKUP_RADOSGW to the script; without radosgw the tests skip, unless
/// SQLITEBACKUP_REQUIRE_CLI=1 makes that a failure.
/// </summary>
public sealed class RadosGwServer : IDisposable
{
    public const string AccessKey = "TESTKEY";
    public const string SecretKey = "TESTSECRET";

    readonly string? _script;
    readonly string _dir = Path.Combine(Path.GetTempPath(), "sbt-radosgw-" + Guid.NewGuid().ToString("N")[..8]);
    readonly string? _unavailable;
    bool _started;

    public RadosGwServer()
    {
        _script = FindScript();
        if (_script == null) { _unavailable = "tests/servers/radosgw.sh was not found (set SQLITEBACKUP_RADOSGW)"; return; }
        if (!Cli.Has("radosgw") || !Cli.Has("ceph-mon") || !Cli.Has("ceph-osd")) { _unavailable = "radosgw, ceph-mon and ceph-osd are not installed"; return; }

        int port = FreePort(), monPort = FreePort();
        var watch = Stopwatch.StartNew();
        _started = true;
        var (code, stdout, stderr) = Cli.Run("bash", _script, "start", _dir, port.ToString(), monPort.ToString());
        StartSeconds = watch.Elapsed.TotalSeconds;
        if (code != 0)
        {
            Cli.Run("bash", _script, "stop", _dir);
            throw new InvalidOperationException($"radosgw did not start (exit {code}): {stderr}\n{stdout}");
        }
        Endpoint = new Uri($"http://127.0.0.1:{port}");
        Admin = new AmazonS3Client(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint.AbsoluteUri, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }

    public Uri Endpoint { get; } = null!;
    public double StartSeconds { get; }

    /// <summary>A client of our own, to look behind the store's back (multipart uploads, ETags).</summary>
    public AmazonS3Client Admin { get; } = null!;

    /// <summary>Skips (or, in CI, fails) the calling test when there is no server.</summary>
    public void Require()
    {
        if (_unavailable == null) return;
        if (Environment.GetEnvironmentVariable("SQLITEBACKUP_REQUIRE_CLI") == "1")
            throw new InvalidOperationException($"radosgw is required (SQLITEBACKUP_REQUIRE_CLI=1): {_unavailable}.");
        Skip.If(true, _unavailable);
    }

    /// <param name="objectLock">Created with x-amz-bucket-object-lock-enabled: true (which also turns versioning on).</param>
    public string NewBucket(bool objectLock = false)
    {
        Require();
        string bucket = "t-" + Guid.NewGuid().ToString("N")[..20];
        // The region said outright: the SDK's would follow whatever AWS_REGION a test set last (radosgw refuses a
        // location constraint it does not serve).
        Admin.PutBucketAsync(new PutBucketRequest { BucketName = bucket, BucketRegionName = "us-east-1", ObjectLockEnabledForBucket = objectLock ? true : null }).GetAwaiter().GetResult();
        return bucket;
    }

    /// <summary>Kills only the S3 gateway (what was stored stays in the cluster): a server gone mid-upload.</summary>
    public void StopGateway()
    {
        var (code, _, stderr) = Cli.Run("bash", _script!, "stop-gateway", _dir);
        if (code != 0) throw new InvalidOperationException($"radosgw.sh stop-gateway failed (exit {code}): {stderr}");
    }

    /// <summary>Starts the gateway again on its port; returns once it answers.</summary>
    public void StartGateway()
    {
        var (code, _, stderr) = Cli.Run("bash", _script!, "start-gateway", _dir);
        if (code != 0) throw new InvalidOperationException($"radosgw.sh start-gateway failed (exit {code}): {stderr}");
    }

    /// <summary>A location on this server; the endpoint rides in the query, so no test changes the environment.</summary>
    public string LocationOf(string bucket, string prefix) => $"s3://{bucket}/{prefix}?endpoint={Uri.EscapeDataString(Endpoint.AbsoluteUri)}";

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    static string? FindScript()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SQLITEBACKUP_RADOSGW");
        if (!string.IsNullOrEmpty(fromEnv)) return File.Exists(fromEnv) ? fromEnv : null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "servers", "radosgw.sh");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public void Dispose()
    {
        Admin?.Dispose();
        if (_started) Cli.Run("bash", _script!, "stop", _dir);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class RadosGwCollection : ICollectionFixture<RadosGwServer>
{
    public const string Name = "radosgw";
}
