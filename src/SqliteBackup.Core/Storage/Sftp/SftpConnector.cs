using Renci.SshNet;
using Renci.SshNet.Common;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.Sftp;

/// <summary>
/// One SFTP connection set up the way ssh(1) would: a private key file (SQLITEBACKUP_SFTP_IDENTITY, else the usual
/// ~/.ssh/id_ed25519, id_ecdsa, id_rsa) whose passphrase is the credential's secret or SQLITEBACKUP_SFTP_PASSPHRASE;
/// a password only when a credential is given and no key file is there (so a passphrase is never sent to a server);
/// and the server's host key checked against known_hosts (SQLITEBACKUP_SFTP_KNOWN_HOSTS, else ~/.ssh/known_hosts)
/// before anything is sent: an unknown or changed key ends the connection.
/// </summary>
static class SftpConnector
{
    public const string IdentityVariable = "SQLITEBACKUP_SFTP_IDENTITY";
    public const string PassphraseVariable = "SQLITEBACKUP_SFTP_PASSPHRASE";
    public const string KnownHostsVariable = "SQLITEBACKUP_SFTP_KNOWN_HOSTS";

    public static SftpClient Connect(SftpLocation location, StoreOptions options) =>
        // Each SFTP request, including every write of an upload waiting for its acknowledgement: for a transfer that is a
        // limit on no byte moving, never on its length.
        Connect(location, options, info => new SftpClient(info) { OperationTimeout = options.RequestLimit() < options.StallLimit() ? options.StallLimit() : options.RequestLimit() });

    /// <summary>A client for running commands, with the same authentication and host-key check as the SFTP one.</summary>
    public static SshClient ConnectShell(SftpLocation location, StoreOptions options) => Connect(location, options, info => new SshClient(info));

    static T Connect<T>(SftpLocation location, StoreOptions options, Func<ConnectionInfo, T> create) where T : BaseClient
    {
        string knownHostsFile = KnownHostsFile();
        string knownHosts;
        try { knownHosts = File.Exists(knownHostsFile) ? File.ReadAllText(knownHostsFile) : ""; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw BackupErrors.SftpAccessDenied(location.Text, $"the known_hosts file {knownHostsFile} could not be read ({e.Message})", e);
        }

        var info = new ConnectionInfo(location.Host, location.Port, location.User, Authentication(location, options))
        {
            // The TCP connect and each step of the SSH handshake: a server that accepts and never speaks is a small request's wait.
            Timeout = options.RequestLimit(),
        };
        PreferKnownKeyTypes(info, knownHosts, location);
        PreferFastCiphers(info);

        SqliteBackupException? refused = null;
        var client = create(info);
        client.HostKeyReceived += (_, e) =>
        {
            string type = KnownHosts.KeyType(e.HostKey) ?? e.HostKeyName;
            string fingerprint = KnownHosts.Fingerprint(e.HostKey);
            string hostName = KnownHosts.HostName(location.Host, location.Port);
            switch (KnownHosts.Check(knownHosts, location.Host, location.Port, type, e.HostKey, out var knownTypes))
            {
                case HostKeyVerdict.Trusted:
                    e.CanTrust = true;
                    return;
                case HostKeyVerdict.Changed:
                    refused = BackupErrors.StoreHostKeyChanged(location.Text, hostName, type, fingerprint, knownHostsFile);
                    break;
                default:
                    refused = BackupErrors.StoreHostKeyUnknown(location.Text, hostName, type, fingerprint, knownHostsFile,
                        knownTypes.Count > 0 ? $" (it lists only {string.Join(", ", knownTypes)} keys for that host)" : "");
                    break;
            }
            e.CanTrust = false;
        };
        try
        {
            client.Connect();
            return client;
        }
        catch (Exception)
        {
            client.Dispose();
            if (refused != null) throw refused;
            // Left as it is: the caller's retries tell a failed connection from an answer, and say how long they tried.
            throw;
        }
    }

    public static string KnownHostsFile()
    {
        var fromEnv = Environment.GetEnvironmentVariable(KnownHostsVariable);
        return !string.IsNullOrWhiteSpace(fromEnv) ? fromEnv : Path.Combine(SshDirectory(), "known_hosts");
    }

    /// <summary>Where the usual key files and known_hosts are looked for; tests point it elsewhere, never at the machine's.</summary>
    internal static string? SshDirectoryOverride { get; set; }

    static string SshDirectory() => SshDirectoryOverride ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");

    static AuthenticationMethod[] Authentication(SftpLocation location, StoreOptions options)
    {
        var fromEnv = Environment.GetEnvironmentVariable(IdentityVariable);
        string[] candidates = !string.IsNullOrWhiteSpace(fromEnv)
            ? [fromEnv]
            : new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(n => Path.Combine(SshDirectory(), n)).ToArray();
        var files = candidates.Where(File.Exists).ToList();
        if (!string.IsNullOrWhiteSpace(fromEnv) && files.Count == 0)
            throw BackupErrors.SftpAccessDenied(location.Text, $"the key file {fromEnv} named by {IdentityVariable} does not exist");
        if (files.Count == 0)
        {
            if (options.Secret != null) return [new PasswordAuthenticationMethod(location.User, options.Secret)];
            throw BackupErrors.SftpAccessDenied(location.Text, $"no private key was found ({IdentityVariable}, ~/.ssh/id_ed25519, id_ecdsa or id_rsa) and no credential was given");
        }

        string? passphrase = options.Secret ?? NullIfEmpty(Environment.GetEnvironmentVariable(PassphraseVariable));
        var keys = new List<IPrivateKeySource>();
        foreach (var file in files)
        {
            try { keys.Add(passphrase == null ? new PrivateKeyFile(file) : new PrivateKeyFile(file, passphrase)); }
            catch (SshPassPhraseNullOrEmptyException e)
            {
                throw BackupErrors.SftpAccessDenied(location.Text, $"the key file {file} is protected by a passphrase and none was given (the credential's secret or {PassphraseVariable})", e);
            }
            catch (Exception e) when (e is SshException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
            {
                // The library's message says what was wrong with the file (format, passphrase); it never quotes the passphrase.
                throw BackupErrors.SftpAccessDenied(location.Text, $"the key file {file} could not be used ({e.GetType().Name}: {e.Message}); check the file and its passphrase", e);
            }
        }
        return [new PrivateKeyAuthenticationMethod(location.User, keys.ToArray())];
    }

    static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>
    /// AES-GCM first, then encrypt-then-MAC: SSH.NET's own order would settle on aes128-ctr with hmac-sha2-256 against
    /// OpenSSH, two passes over every byte where AES-GCM (.NET's AesGcm, the CPU's AES instructions) is one; both ends
    /// spend less CPU per byte, which on a busy machine is the upload's rate. Nothing is added or removed: a server
    /// without GCM or ETM still gets what it offers (aes128-ctr and hmac-sha2-256 included).
    /// </summary>
    static void PreferFastCiphers(ConnectionInfo info)
    {
        Reorder(info.Encryptions, ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]);
        Reorder(info.HmacAlgorithms, ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"]);
    }

    /// <summary>Moves <paramref name="first"/> (those present, in that order) to the front; the others keep their order.</summary>
    static void Reorder<TValue>(IDictionary<string, TValue> algorithms, string[] first)
    {
        var all = algorithms.ToList();
        algorithms.Clear();
        foreach (var name in first)
            if (all.FirstOrDefault(a => a.Key == name) is { Key: not null } found) algorithms.Add(found.Key, found.Value);
        foreach (var a in all)
            if (!first.Contains(a.Key)) algorithms.Add(a.Key, a.Value);
    }

    /// <summary>
    /// Where known_hosts has keys of some types for this host, those are asked for first (as ssh(1) orders its
    /// preference), so a server that has an ed25519 and an RSA key is checked against the one the user accepted; the
    /// others stay on the list, so a server with none of them is refused as unknown rather than failing to negotiate.
    /// </summary>
    static void PreferKnownKeyTypes(ConnectionInfo info, string knownHosts, SftpLocation location)
    {
        KnownHosts.Check(knownHosts, location.Host, location.Port, "", [], out var types);
        if (types.Count == 0) return;
        static string KeyTypeOf(string algorithm) => algorithm.StartsWith("rsa-sha2-", StringComparison.Ordinal) ? "ssh-rsa" : algorithm;
        var all = info.HostKeyAlgorithms.ToList();
        info.HostKeyAlgorithms.Clear();
        foreach (var (name, factory) in all.Where(a => types.Contains(KeyTypeOf(a.Key))).Concat(all.Where(a => !types.Contains(KeyTypeOf(a.Key)))))
            info.HostKeyAlgorithms.Add(name, factory);
    }
}
