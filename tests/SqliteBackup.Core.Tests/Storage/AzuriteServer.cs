using System.Diagnostics;
using Azure.Storage;
using Azure.Storage.Blobs;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// A real Azure Blob service for the whole test run: Azurite, started by tests/servers/azurite.sh on a free 127.0.0.1
/// port and stopped when the run ends. .ci/run installs azurite and sets SQLITEBACKUP_AZURITE to the script; without
/// azurite the tests skip, unless SQLITEBACKUP_REQUIRE_CLI=1 makes that a failure.
/// </summary>
public sealed class AzuriteServer : IDisposable
{
    /// <summary>Azurite's well-known development account and key (published in its documentation).</summary>
    public const string Account = "devstoreaccount1";
    public const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    readonly string? _script;
    readonly string _dir = Path.Combine(Path.GetTempPath(), "sbt-azurite-" + Guid.NewGuid().ToString("N")[..8]);
    readonly string? _unavailable;
    bool _started;

    public AzuriteServer()
    {
        _script = FindScript();
        if (_script == null) { _unavailable = "tests/servers/azurite.sh was not found (set SQLITEBACKUP_AZURITE)"; return; }
        int port = RadosGwServer.FreePort();
        var watch = Stopwatch.StartNew();
        _started = true;
        var (code, stdout, stderr) = Cli.Run("bash", _script, "start", _dir, port.ToString());
        StartSeconds = watch.Elapsed.TotalSeconds;
        if (code == 127) { _started = false; _unavailable = stderr.Trim(); return; }
        if (code != 0)
        {
            Cli.Run("bash", _script, "stop", _dir);
            throw new InvalidOperationException($"azurite did not start (exit {code}): {stderr}\n{stdout}");
        }
        Endpoint = new Uri($"http://127.0.0.1:{port}/{Account}/");
        Admin = new BlobServiceClient(Endpoint, new StorageSharedKeyCredential(Account, Key));
    }

    /// <summary>The blob service URL, path-style as Azurite serves it: http://127.0.0.1:PORT/devstoreaccount1/.</summary>
    public Uri Endpoint { get; } = null!;
    public double StartSeconds { get; }

    /// <summary>A client of our own, to look behind the store's back.</summary>
    public BlobServiceClient Admin { get; } = null!;

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};BlobEndpoint={Endpoint.AbsoluteUri.TrimEnd('/')};";

    /// <summary>Skips (or, in CI, fails) the calling test when there is no server.</summary>
    public void Require()
    {
        if (_unavailable == null) return;
        if (Environment.GetEnvironmentVariable("SQLITEBACKUP_REQUIRE_CLI") == "1")
            throw new InvalidOperationException($"azurite is required (SQLITEBACKUP_REQUIRE_CLI=1): {_unavailable}.");
        Skip.If(true, _unavailable);
    }

    public string NewContainer()
    {
        Require();
        string container = "t-" + Guid.NewGuid().ToString("N")[..20];
        Admin.CreateBlobContainer(container);
        return container;
    }

    /// <summary>A location on this server as a container URL (azure+http://127.0.0.1:PORT/devstoreaccount1/container/prefix).</summary>
    public string LocationOf(string container, string prefix) => $"azure+{Endpoint.Scheme}://{Endpoint.Authority}/{Account}/{container}/{prefix}".TrimEnd('/');

    static string? FindScript()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SQLITEBACKUP_AZURITE");
        if (!string.IsNullOrEmpty(fromEnv)) return File.Exists(fromEnv) ? fromEnv : null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "servers", "azurite.sh");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public void Dispose()
    {
        if (_started) Cli.Run("bash", _script!, "stop", _dir);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteServer>
{
    public const string Name = "azurite";
}
