using System.Diagnostics;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// A real OpenSSH sshd (internal-sftp) for the whole test run, started by tests/servers/sshd.sh on a free 127.0.0.1
/// port with its own host key, client key and known_hosts in a temporary folder, and stopped when the run ends. While
/// it runs, SQLITEBACKUP_SFTP_IDENTITY and SQLITEBACKUP_SFTP_KNOWN_HOSTS point at that folder (the machine's ~/.ssh is
/// never read), and are restored afterwards. .ci/run installs openssh-server and sets SQLITEBACKUP_SSHD to the script;
/// without sshd the tests skip, unless SQLITEBACKUP_REQUIRE_CLI=1 makes that a failure.
/// </summary>
public sealed class SshdServer : IDisposable
{
    public const string IdentityVariable = "SQLITEBACKUP_SFTP_IDENTITY";
    public const string KnownHostsVariable = "SQLITEBACKUP_SFTP_KNOWN_HOSTS";
    public const string PassphraseVariable = "SQLITEBACKUP_SFTP_PASSPHRASE";

    readonly string? _script;
    readonly string? _unavailable;
    readonly Dictionary<string, string?> _saved = new[] { IdentityVariable, KnownHostsVariable, PassphraseVariable }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    bool _started;

    public SshdServer() : this(null) { }

    /// <summary>A server of its own that offers only <paramref name="ciphers"/> (sshd's Ciphers list), for a test that needs one.</summary>
    internal SshdServer(string? ciphers)
    {
        Dir = Path.Combine(Path.GetTempPath(), "sbt-sshd-" + Guid.NewGuid().ToString("N")[..8]);
        _script = FindScript();
        if (_script == null) { _unavailable = "tests/servers/sshd.sh was not found (set SQLITEBACKUP_SSHD)"; return; }
        if (!File.Exists("/usr/sbin/sshd") || !Cli.Has("ssh-keygen") || !Cli.Has("ssh-keyscan")) { _unavailable = "openssh-server (/usr/sbin/sshd) and openssh-client are not installed"; return; }

        Port = RadosGwServer.FreePort();
        var watch = Stopwatch.StartNew();
        _started = true;
        var (code, stdout, stderr) = Cli.Run("env", $"SSHD_CIPHERS={ciphers}", "bash", _script, "start", Dir, Port.ToString());
        StartSeconds = watch.Elapsed.TotalSeconds;
        if (code != 0)
        {
            Cli.Run("bash", _script, "stop", Dir);
            throw new InvalidOperationException($"sshd did not start (exit {code}): {stderr}\n{stdout}");
        }
        User = Environment.UserName;
        ResetEnvironment();
    }

    /// <summary>The server's folder: keys, known_hosts, authorized_keys, config, log; backup folders go under Root.</summary>
    public string Dir { get; }
    public int Port { get; }
    public string User { get; } = "";
    public double StartSeconds { get; }
    public string Identity => Path.Combine(Dir, "client_ed25519");
    public string KnownHostsFile => Path.Combine(Dir, "known_hosts");
    /// <summary>A key of the same user whose sessions are internal-sftp only: commands are refused.</summary>
    public string SftpOnlyIdentity => Path.Combine(Dir, "client_sftponly");
    /// <summary>A key of the same user whose commands find first an openssl that prints a wrong hash.</summary>
    public string LiarIdentity => Path.Combine(Dir, "client_liar");
    /// <summary>A key of the same user whose commands find sha256sum and no openssl.</summary>
    public string NoOpensslIdentity => Path.Combine(Dir, "client_nossl");
    /// <summary>A key of the same user whose commands find a sync(1) that appends its arguments to <see cref="SyncLog"/> before flushing them.</summary>
    public string SyncLogIdentity => Path.Combine(Dir, "client_synclog");
    public string SyncLog => Path.Combine(Dir, "sync.log");
    public string AuthorizedKeys => Path.Combine(Dir, "authorized_keys");
    public string HostPublicKey => Path.Combine(Dir, "host_ed25519.pub");

    /// <summary>Points the SFTP variables at this server's files again (after a test changed them).</summary>
    public void ResetEnvironment()
    {
        Environment.SetEnvironmentVariable(IdentityVariable, Identity);
        Environment.SetEnvironmentVariable(KnownHostsVariable, KnownHostsFile);
        Environment.SetEnvironmentVariable(PassphraseVariable, null);
    }

    /// <summary>A new, absent directory on the server (the same file system as ours: the tests look behind its back).</summary>
    public string NewDirectory()
    {
        Require();
        return Path.Combine(Dir, "data", Guid.NewGuid().ToString("N")[..8]);
    }

    public string LocationOf(string directory) => $"sftp://{User}@127.0.0.1:{Port}{directory}";

    /// <summary>Skips (or, in CI, fails) the calling test when there is no server.</summary>
    public void Require()
    {
        if (_unavailable == null) return;
        if (Environment.GetEnvironmentVariable("SQLITEBACKUP_REQUIRE_CLI") == "1")
            throw new InvalidOperationException($"sshd is required (SQLITEBACKUP_REQUIRE_CLI=1): {_unavailable}.");
        Skip.If(true, _unavailable);
    }

    /// <summary>The sshd processes serving connections (children of the listening daemon), to drop them mid-transfer.</summary>
    /// <summary>Teaches a known_hosts (the one the SFTP store is then given) this server's keys at a forwarding hop's port.</summary>
    public void TrustHop(int hopPort)
    {
        string known = Path.Combine(Dir, $"known_hosts.hop{hopPort}");
        File.WriteAllText(known, File.ReadAllText(KnownHostsFile).Replace($"[127.0.0.1]:{Port}", $"[127.0.0.1]:{hopPort}"));
        Environment.SetEnvironmentVariable(KnownHostsVariable, known);
    }

    public IReadOnlyList<int> SessionProcesses()
    {
        int daemon = int.Parse(File.ReadAllText(Path.Combine(Dir, "sshd.pid")).Trim());
        var (_, stdout, _) = Cli.Run("pgrep", "-P", daemon.ToString());
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
    }

    static string? FindScript()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SQLITEBACKUP_SSHD");
        if (!string.IsNullOrEmpty(fromEnv)) return File.Exists(fromEnv) ? fromEnv : null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "servers", "sshd.sh");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public void Dispose()
    {
        if (_started) Cli.Run("bash", _script!, "stop", Dir);
        foreach (var (v, value) in _saved) Environment.SetEnvironmentVariable(v, value);
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class SshdCollection : ICollectionFixture<SshdServer>
{
    public const string Name = "sshd";
}
