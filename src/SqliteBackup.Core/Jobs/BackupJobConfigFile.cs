using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// Reads and writes the job configuration: the "backup" section of a JSON file that may also hold an application's
/// own settings (other top-level sections are left alone). Every problem is reported with the key that causes it.
/// <code>
/// { "backup": { "enabled": true, "automatic_daily": true, "backup_time": "02:00", "backup_on_shutdown": true,
///   "backup_directory": "./backups", "databases": ["./app.db"], "compression": "zstd", "verification": "standard",
///   "weekly_restore_test": true, "log_file": "./backups/sqlitebackup-log.jsonl", "scratch_directory": "/var/tmp/sqlitebackup",
///   "retention_days": 30, "retention_weeks": 12, "retention_months": 12,
///   "destinations": [{ "path": "s3://bucket/app", "user_env": "OFFSITE_KEY_ID", "secret_env": "OFFSITE_SECRET", "retention_months": 24, "timeout_sec": 300 }],
///   "keep_local_until_copied": true, "restore_test_offsite": true,
///   "encryption": { "recipients": ["age1…"], "identity_file": "/etc/sqlitebackup/backup.key" } } }
/// </code>
/// </summary>
public static class BackupJobConfigFile
{
    public const string Section = "backup";

    static readonly string[] Keys =
    [
        "enabled", "automatic_daily", "backup_time", "backup_on_shutdown", "backup_directory", "database", "databases",
        "compression", "verification", "weekly_restore_test", "log_file", "scratch_directory", "allow_insecure_directory",
        "retention_last", "retention_hours", "retention_days", "retention_weeks", "retention_months", "retention_years",
        "notify", "notify_on", "smtp_server", "smtp_port", "smtp_from", "smtp_security", "smtp_user", "smtp_password_env",
        "smtp_allow_plaintext_auth", "destinations", "services", "keep_local_until_copied", "restore_test_offsite",
        "incremental", "encryption",
    ];

    static readonly string[] CredentialKeys = ["user_env", "secret_env", "aws_profile"];

    static readonly string[] RetentionKeys = ["retention_last", "retention_hours", "retention_days", "retention_weeks", "retention_months", "retention_years"];

    public static SqliteBackupException Invalid(string path, string key, string problem) => 
        BackupErrors.InvalidBackupConfig(path, (key.Length > 0 ? $"'{Section}.{key}' " : "") + problem);

    /// <param name="checkDatabases">Whether a database that does not exist is an error (it is when a job is about to run).</param>
    public static BackupJobConfig Load(string path, bool checkDatabases = true)
    {
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
            throw BackupErrors.BackupConfigNotFound(path);
        if (Trust.DirectoryTrust.FileProblem(path) is { } untrusted) throw BackupErrors.UntrustedBackupConfig(path, untrusted);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw Invalid(path, "", $"it is not valid JSON: {e.Message}"); }
        if (root is not JsonObject obj || obj[Section] is not JsonObject b)
            throw Invalid(path, "", $"it has no \"{Section}\" object at the top level.");
        return FromSection(path, b, checkDatabases);
    }

    /// <summary>
    /// Reads a "backup" section that is not (yet) in a file, as <see cref="Load"/> would read it from <paramref name="path"/>:
    /// lets a command check everything it is about to write before it writes anything.
    /// </summary>
    public static BackupJobConfig FromSection(string path, JsonObject b, bool checkDatabases = true)
    {
        path = Path.GetFullPath(path);
        // First: a pasted secret key is refused before any message could quote the value around it.
        JobEncryption.RefuseSecrets(path, b, "");
        foreach (var (key, _) in b)
            if (!Keys.Contains(key))
                throw LooksLikeSecretKey(key)
                    ? Invalid(path, key, "is not a known setting, and a configuration never holds a secret: name where it is read from (\"encryption\": identity_file, identity_env, passphrase_env, passphrase_file; \"smtp_password_env\"; a destination's \"secret_env\").")
                    : Invalid(path, key, $"is not a known setting. Known settings: {string.Join(", ", Keys)}.");

        string folder = Path.GetDirectoryName(path)!;
        string Resolve(string p) => Path.GetFullPath(Path.Combine(folder, p));

        var databases = new List<string>();
        if (b["database"] is not null) databases.Add(Resolve(String(path, b, "database")!));
        if (b["databases"] is JsonArray arr)
        {
            for (int i = 0; i < arr.Count; i++)
            {
                if (arr[i] is not JsonValue v || !v.TryGetValue(out string? s) || string.IsNullOrWhiteSpace(s))
                    throw Invalid(path, $"databases[{i}]", "must be a database file path (a string).");
                databases.Add(Resolve(s));
            }
        }
        else if (b["databases"] is not null) throw Invalid(path, "databases", "must be an array of database file paths.");
        if (databases.Count == 0) throw Invalid(path, "databases", "is missing: name at least one database file.");

        string backupDir = Resolve(String(path, b, "backup_directory") ?? "backups");
        string? timeText = String(path, b, "backup_time");
        TimeOnly time = new(2, 0);
        if (timeText != null && !TimeOnly.TryParseExact(timeText, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time))
            throw Invalid(path, "backup_time", $"is \"{timeText}\"; use a 24-hour time such as \"02:00\".");

        var notify = new List<Notifications.NotificationTarget>();
        if (b["notify"] is JsonArray targets)
        {
            for (int i = 0; i < targets.Count; i++)
            {
                try { notify.Add(Notifications.NotificationTarget.Parse(targets[i] is JsonValue tv && tv.TryGetValue(out string? ts) ? ts : "")); }
                catch (FormatException e) { throw Invalid(path, $"notify[{i}]", e.Message); }
            }
        }
        else if (b["notify"] is not null) throw Invalid(path, "notify", "must be an array of targets (URLs, mailto: addresses or program paths).");
        string notifyOn = String(path, b, "notify_on") ?? "failure";
        if (notifyOn is not ("failure" or "always")) throw Invalid(path, "notify_on", $"is \"{notifyOn}\"; use \"failure\" or \"always\".");
        Notifications.SmtpSettings? smtp = null;
        if (String(path, b, "smtp_server") is { } host)
        {
            int port = Count(path, b, "smtp_port", 587);
            if (port is < 1 or > 65535) throw Invalid(path, "smtp_port", "must be a port number.");
            smtp = new Notifications.SmtpSettings(host, port, String(path, b, "smtp_from") ?? "sqlitebackup@" + Environment.MachineName)
            {
                Security = Enum(path, b, "smtp_security", Notifications.SmtpSecurity.Auto),
                UserName = String(path, b, "smtp_user"),
                PasswordVariable = String(path, b, "smtp_password_env"),
                AllowPlainTextAuth = Bool(path, b, "smtp_allow_plaintext_auth") ?? false,
            };
        }
        bool incremental = Bool(path, b, "incremental") ?? false;
        var config = new BackupJobConfig
        {
            Incremental = incremental,
            Encryption = JobEncryption.Parse(path, b["encryption"], Resolve),
            Destinations = Destinations(path, b, Resolve),
            KeepLocalUntilCopied = Bool(path, b, "keep_local_until_copied") ?? false,
            RestoreTestOffsite = Bool(path, b, "restore_test_offsite") ?? false,
            Services = Services(path, b),
            Notify = notify,
            NotifyOnSuccess = notifyOn == "always",
            Smtp = smtp,
            ConfigPath = path,
            Enabled = Bool(path, b, "enabled") ?? true,
            AutomaticDaily = Bool(path, b, "automatic_daily") ?? true,
            BackupTime = time,
            BackupOnShutdown = Bool(path, b, "backup_on_shutdown") ?? false,
            Databases = databases,
            BackupDirectory = backupDir,
            Compression = Enum(path, b, "compression", CompressionKind.Zstd),
            Verification = Enum(path, b, "verification", VerificationLevel.Standard),
            WeeklyRestoreTest = Bool(path, b, "weekly_restore_test") ?? true,
            LogFile = Resolve(String(path, b, "log_file") ?? Path.Combine(backupDir, Logging.JsonLinesLog.DefaultFileName)),
            ScratchDirectory = String(path, b, "scratch_directory") is { } scratch ? Resolve(scratch) : null,
            AllowInsecureDirectory = Bool(path, b, "allow_insecure_directory") ?? false,
            RetentionLast = Count(path, b, "retention_last", 0),
            RetentionHours = Count(path, b, "retention_hours", 0),
            RetentionDays = Count(path, b, "retention_days", 30),
            RetentionWeeks = Count(path, b, "retention_weeks", 12),
            RetentionMonths = Count(path, b, "retention_months", 12),
            RetentionYears = Count(path, b, "retention_years", 0),
        };
        if (incremental && config.Compression != CompressionKind.Zstd)
            throw Invalid(path, "compression", $"is \"{config.Compression.ToString().ToLowerInvariant()}\"; an incremental backup stores its blocks with zstd: leave it out or use \"zstd\".");
        // Last, so a file with several problems reports its malformed values before the state of the disk.
        if (checkDatabases)
            for (int i = 0; i < databases.Count; i++)
                if (!File.Exists(databases[i]))
                    throw Invalid(path, b["database"] is not null && i == 0 ? "database" : $"databases[{i - (b["database"] is not null ? 1 : 0)}]", $"names '{databases[i]}', which does not exist.");
        return config;
    }

    /// <summary>
    /// "destinations": each a location (a path, relative to the file, or a store URI), or an object with "path", its
    /// own retention_* counts, and where its credential comes from ("user_env"/"secret_env": names of environment
    /// variables; "aws_profile": a profile of the shared AWS files). A configuration never carries a secret: a location
    /// with a password or a SAS query, or a value where a variable's name belongs that is no such name, is refused.
    /// </summary>
    static IReadOnlyList<JobDestination> Destinations(string path, JsonObject b, Func<string, string> resolve)
    {
        if (b["destinations"] is null) return [];
        if (b["destinations"] is not JsonArray arr) throw Invalid(path, "destinations", "must be an array of locations (paths or URIs such as s3://bucket/prefix).");
        var list = new List<JobDestination>();
        for (int i = 0; i < arr.Count; i++)
        {
            string key = $"destinations[{i}]";
            string? location;
            bool plain = false;
            Retention.RetentionPolicy? policy = null;
            DestinationCredential? credential = null;
            TimeSpan? timeout = null;
            if (arr[i] is JsonValue v && v.TryGetValue(out string? s)) location = s;
            else if (arr[i] is JsonObject o)
            {
                foreach (var (k, _) in o)
                {
                    if (k is "path" or "timeout_sec" or "plain" || RetentionKeys.Contains(k) || CredentialKeys.Contains(k)) continue;
                    if (LooksLikeSecretKey(k))
                        throw Invalid(path, $"{key}.{k}", "would put a secret in the configuration, which is refused: name the environment variable that holds it (\"secret_env\", \"user_env\") or an AWS profile (\"aws_profile\").");
                    throw Invalid(path, $"{key}.{k}", $"is not a known destination setting (path, timeout_sec, plain, {string.Join(", ", CredentialKeys)}, {string.Join(", ", RetentionKeys)}).");
                }
                location = String(path, o, "path");
                plain = Bool(path, o, "plain") ?? false;
                credential = Credential(path, key, o, location);
                if (o["timeout_sec"] is not null)
                    timeout = o["timeout_sec"] is JsonValue t && t.TryGetValue(out int sec) && sec is >= 1 and <= 86400
                        ? TimeSpan.FromSeconds(sec)
                        : throw Invalid(path, $"{key}.timeout_sec", "must be a whole number of seconds from 1 to 86400: how long one operation on the destination may take with its retries (default 120).");
                if (RetentionKeys.Any(k => o[k] is not null))
                    policy = new Retention.RetentionPolicy
                    {
                        KeepLast = Count(path, o, "retention_last", 0), KeepHourly = Count(path, o, "retention_hours", 0),
                        KeepDaily = Count(path, o, "retention_days", 0), KeepWeekly = Count(path, o, "retention_weeks", 0),
                        KeepMonthly = Count(path, o, "retention_months", 0), KeepYearly = Count(path, o, "retention_years", 0),
                    }.OrDefault();
            }
            else location = null;
            if (string.IsNullOrWhiteSpace(location)) throw Invalid(path, key, "must be a location: a path, a URI such as s3://bucket/prefix, or {\"path\": ..., \"retention_days\": ...}.");
            if ((Uri.TryCreate(location, UriKind.Absolute, out var uri) && !uri.IsFile && (uri.UserInfo.Contains(':') || !OnlyPublicQuery(uri))) || LooksLikeConnectionString(location))
                throw Invalid(path, key, "carries a secret (a password, a key or a query such as a SAS token), which a configuration never holds; name the environment variables that hold the credential (\"user_env\", \"secret_env\") or an AWS profile (\"aws_profile\").");
            if (credential?.Profile != null && !location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
                throw Invalid(path, $"{key}.aws_profile", "is for s3:// destinations only.");
            list.Add(new JobDestination(Storage.StoreRegistry.IsRemote(location) ? location : resolve(location), policy) { Credential = credential, Timeout = timeout, Plain = plain });
        }
        return list;
    }

    static DestinationCredential? Credential(string path, string key, JsonObject o, string? location)
    {
        string? Name(string k, System.Text.RegularExpressions.Regex shape, string what)
        {
            string? value = String(path, o, k);
            // The check exists for the case where the secret itself was pasted in: the message must not repeat it.
            if (value != null && !shape.IsMatch(value)) throw Invalid(path, $"{key}.{k}", $"must be {what}; the value given is not one (is it the secret itself? a configuration never holds one).");
            return value;
        }
        string? user = Name("user_env", VariableName, "the name of an environment variable (letters, digits, _)");
        string? secret = Name("secret_env", VariableName, "the name of an environment variable (letters, digits, _)");
        string? profile = Name("aws_profile", ProfileName, "an AWS profile name (letters, digits, '.', '-', '_')");
        if (user == null && secret == null && profile == null) return null;
        if (profile != null && secret != null) throw Invalid(path, $"{key}.aws_profile", "and \"secret_env\" both name a credential; give one of them.");
        if (location != null && !Storage.StoreRegistry.IsRemote(location)) throw Invalid(path, key, "is a local directory, which takes no credential (user_env, secret_env, aws_profile).");
        return new DestinationCredential(user, secret, profile);
    }

    static readonly System.Text.RegularExpressions.Regex VariableName = new("^[A-Za-z_][A-Za-z0-9_]{0,127}$");
    static readonly System.Text.RegularExpressions.Regex ProfileName = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");

    static bool LooksLikeSecretKey(string k) =>
        new[] { "secret", "password", "passphrase", "key", "token", "sas", "credential" }.Any(w => k.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>An Azure connection string or a SAS pasted in as a location (it would otherwise read as a local path).</summary>
    static bool LooksLikeConnectionString(string location) =>
        new[] { "AccountKey=", "SharedAccessSignature=", "sig=", "Password=" }.Any(w => location.Contains(w, StringComparison.OrdinalIgnoreCase));

    /// <summary>"services": ["app.service", { "name": "worker@1", "stop_timeout_sec": 20 }]</summary>
    static List<ServiceStopConfig> Services(string path, JsonObject b)
    {
        var services = new List<ServiceStopConfig>();
        if (b["services"] is null) return services;
        if (b["services"] is not JsonArray list) throw Invalid(path, "services", "must be an array of service names, or of objects with \"name\" and \"stop_timeout_sec\".");
        for (int i = 0; i < list.Count; i++)
        {
            string key = $"services[{i}]";
            switch (list[i])
            {
                case JsonValue v when v.TryGetValue(out string? name) && !string.IsNullOrWhiteSpace(name):
                    services.Add(new ServiceStopConfig(name));
                    break;
                case JsonObject o:
                    foreach (var (k, _) in o)
                        if (k is not ("name" or "stop_timeout_sec")) throw Invalid(path, $"{key}.{k}", "is not a known setting of a service: use \"name\" and \"stop_timeout_sec\".");
                    if (o["name"] is not JsonValue nv || !nv.TryGetValue(out string? n) || string.IsNullOrWhiteSpace(n))
                        throw Invalid(path, $"{key}.name", "must name the service (a systemd unit such as \"app.service\", or a Windows service's display name).");
                    int bound = ServiceStopConfig.DefaultStopTimeoutSec;
                    if (o["stop_timeout_sec"] is not null && (o["stop_timeout_sec"] is not JsonValue tv || !tv.TryGetValue(out bound) || bound < ServiceStopConfig.MinimumStopTimeoutSec || bound > 3600))
                        throw Invalid(path, $"{key}.stop_timeout_sec", $"must be a whole number of seconds from {ServiceStopConfig.MinimumStopTimeoutSec} to 3600: how long a backup may hold up the service's stop (pwsh and the module alone take 3-7 s of it, and the job needs a few seconds to report that it gave up).");
                    services.Add(new ServiceStopConfig(n, bound));
                    break;
                default:
                    throw Invalid(path, key, "must be a service name (a non-empty string) or an object with \"name\" and \"stop_timeout_sec\".");
            }
        }
        return services;
    }

    /// <summary>
    /// A store URI may say where (?endpoint=, ?region=) and how (S3's ?lock-mode=, ?abort-uploads-after=), never carry a
    /// key: any other query (a SAS token) is refused.
    /// </summary>
    static bool OnlyPublicQuery(Uri uri) =>
        uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).All(p =>
            p.Split('=')[0].ToLowerInvariant() switch
            {
                // An endpoint with user info (also percent-encoded) holds a password.
                "endpoint" => !Uri.TryCreate(Uri.UnescapeDataString(p[(p.IndexOf('=') + 1)..]), UriKind.Absolute, out var e) || e.UserInfo.Length == 0,
                "region" or "lock-mode" or "abort-uploads-after" => true,
                _ => false,
            });

    static string? String(string path, JsonObject b, string key) => b[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) => s,
        _ => throw Invalid(path, key, "must be a non-empty string."),
    };

    static bool? Bool(string path, JsonObject b, string key) => b[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out bool x) => x,
        _ => throw Invalid(path, key, "must be true or false."),
    };

    static int Count(string path, JsonObject b, string key, int fallback) => b[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out int n) && n >= -1 => n,
        _ => throw Invalid(path, key, "must be a whole number: 0 (rule off), a positive count, or -1 (keep all)."),
    };

    static T Enum<T>(string path, JsonObject b, string key, T fallback) where T : struct, System.Enum
    {
        string? s = String(path, b, key);
        if (s == null) return fallback;
        if (System.Enum.TryParse<T>(s, ignoreCase: true, out var value) && System.Enum.IsDefined(value) && !int.TryParse(s, out _)) return value;
        throw Invalid(path, key, $"is \"{s}\"; use one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
    }

    /// <summary>
    /// Writes the "backup" section, keeping any other top-level sections of an existing file. Paths are written as
    /// given (relative ones stay relative to the file).
    /// </summary>
    public static void Save(string path, JsonObject backupSection, bool overwriteSection)
    {
        path = Path.GetFullPath(path);
        JsonObject root = new();
        if (File.Exists(path))
        {
            try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw Invalid(path, "", "the top level is not an object."); }
            catch (JsonException e) { throw Invalid(path, "", $"it is not valid JSON: {e.Message}"); }
            if (root[Section] is not null && !overwriteSection)
                throw BackupErrors.BackupConfigExists(path, Section);
        }
        root[Section] = backupSection;
        PrivateFiles.EnsureDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"), overwrite: true);
    }
}
