using System.Text.Json.Nodes;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// The job configuration's "encryption" section: to whom each backup is encrypted and where the keys come from, by
/// name only. The configuration never holds a key or a passphrase, so it can be shown, copied and named on a scheduled
/// command line; the keys are read when the job runs (<see cref="Resolve"/>).
/// <code>
/// "encryption": { "recipients": ["age1…", "age1…"], "identity_file": "/etc/sqlitebackup/backup.key", "trusted_writers": ["age1…"] }
/// "encryption": { "recipients": ["age1…"], "identity_env": "BACKUP_AGE_IDENTITY" }
/// "encryption": { "passphrase_env": "BACKUP_PASSPHRASE" }            or { "passphrase_file": "/etc/sqlitebackup/passphrase" }
/// </code>
/// The identity is the writer's (it signs each manifest) and the job's own key for Standard/Full verification and the
/// restore test, so its public key belongs among the recipients.
/// </summary>
public sealed record JobEncryption
{
    public IReadOnlyList<string> Recipients { get; init; } = [];
    public string? IdentityFile { get; init; }
    public string? IdentityVariable { get; init; }
    public string? PassphraseVariable { get; init; }
    public string? PassphraseFile { get; init; }
    /// <summary>Writers other than the job's own identity whose backups the restore test accepts (a key the job used before).</summary>
    public IReadOnlyList<string> TrustedWriters { get; init; } = [];

    public bool UsesPassphrase => PassphraseVariable != null || PassphraseFile != null;

    internal const string Section = "encryption";
    static readonly string[] Known = ["recipients", "identity_file", "identity_env", "passphrase_env", "passphrase_file", "trusted_writers"];
    internal const string SecretKeyMarker = "AGE-SECRET-KEY-";

    /// <summary>Reads and checks the section's shape; nothing on disk or in the environment is read here (see <see cref="Check"/>).</summary>
    internal static JobEncryption? Parse(string path, JsonNode? node, Func<string, string> resolve)
    {
        if (node is null) return null;
        SqliteBackupException Invalid(string key, string problem) => BackupJobConfigFile.Invalid(path, Section + (key.Length > 0 ? "." + key : ""), problem);
        if (node is not JsonObject o)
            throw Invalid("", "must be an object: {\"recipients\": [\"age1…\"], \"identity_file\": \"…\"} or {\"passphrase_env\": \"NAME\"}.");
        foreach (var (k, _) in o)
        {
            if (Known.Contains(k)) continue;
            if (k.Contains("passphrase", StringComparison.OrdinalIgnoreCase) || k.Contains("identity", StringComparison.OrdinalIgnoreCase)
                || k.Contains("secret", StringComparison.OrdinalIgnoreCase) || k.Contains("key", StringComparison.OrdinalIgnoreCase) || k.Contains("password", StringComparison.OrdinalIgnoreCase))
                throw Invalid(k, "would put a key or passphrase in the configuration, which is refused: name where it is read from (\"identity_file\", \"identity_env\", \"passphrase_env\" or \"passphrase_file\").");
            throw Invalid(k, $"is not a known encryption setting ({string.Join(", ", Known)}).");
        }
        string? Text(string key)
        {
            return o[key] switch
            {
                null => null,
                JsonValue v when v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) => s,
                _ => throw Invalid(key, "must be a non-empty string."),
            };
        }
        string? Variable(string key)
        {
            string? name = Text(key);
            // The value may be the secret itself pasted in: the message never repeats it.
            if (name != null && !VariableName.IsMatch(name))
                throw Invalid(key, "must be the name of an environment variable (letters, digits, _); the value given is not one (is it the secret itself? a configuration never holds one).");
            return name;
        }
        IReadOnlyList<string> Keys(string key)
        {
            if (o[key] is null) return [];
            var list = o[key] is JsonArray a ? a.ToList() : o[key] is JsonValue ? [o[key]] : throw Invalid(key, "must be an array of age public keys (age1…).");
            var keys = new List<string>();
            for (int i = 0; i < list.Count; i++)
            {
                if (list[i] is not JsonValue v || !v.TryGetValue(out string? s)) throw Invalid($"{key}[{i}]", "must be an age public key (a string starting with age1).");
                // Parsed now so a typo is reported when the configuration is written or read, not at 2 a.m.
                try { AgeX25519Recipient.Parse(s); }
                catch (SqliteBackupException e) { throw Invalid($"{key}[{i}]", e.Message + " " + e.RecommendedAction); }
                keys.Add(s.Trim());
            }
            return keys;
        }
        var encryption = new JobEncryption
        {
            Recipients = Keys("recipients"),
            TrustedWriters = Keys("trusted_writers"),
            IdentityFile = Text("identity_file") is { } f ? resolve(f) : null,
            IdentityVariable = Variable("identity_env"),
            PassphraseVariable = Variable("passphrase_env"),
            PassphraseFile = Text("passphrase_file") is { } p ? resolve(p) : null,
        };
        bool identity = encryption.IdentityFile != null || encryption.IdentityVariable != null;
        if (encryption.IdentityFile != null && encryption.IdentityVariable != null)
            throw Invalid("identity_env", "and \"identity_file\" both name the writer's identity; give one of them.");
        if (encryption.PassphraseVariable != null && encryption.PassphraseFile != null)
            throw Invalid("passphrase_env", "and \"passphrase_file\" both name the passphrase; give one of them.");
        if (encryption.UsesPassphrase && encryption.Recipients.Count > 0)
            throw Invalid("recipients", "and a passphrase can not be combined: the age format allows a passphrase only as the one way to open a file. Use recipients (with identity_file or identity_env) or a passphrase (passphrase_env or passphrase_file).");
        if (encryption.UsesPassphrase && (identity || encryption.TrustedWriters.Count > 0))
            throw Invalid(identity ? (encryption.IdentityFile != null ? "identity_file" : "identity_env") : "trusted_writers",
                "applies only with \"recipients\": in passphrase mode the passphrase itself signs each manifest.");
        if (!encryption.UsesPassphrase && encryption.Recipients.Count == 0)
            throw Invalid("recipients", "is missing: name the age public keys (age1…) to encrypt to, with identity_file or identity_env, or use a passphrase (passphrase_env or passphrase_file).");
        if (encryption.Recipients.Count > 0 && !identity)
            throw Invalid("identity_file", "is missing: the writer's identity (identity_file or identity_env) signs each manifest, so that a backup forged to the same public keys is refused, and opens the backups for verification and the restore test. Create one with New-SqliteBackupKey -Path <file> and add its public key to the recipients.");
        return encryption;
    }

    /// <summary>
    /// Anywhere in the section, a value that is an age secret key is refused before anything else is looked at: the
    /// configuration is read by people and programs that must never see one. The message does not repeat it.
    /// </summary>
    internal static void RefuseSecrets(string path, JsonNode? node, string key)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) RefuseSecrets(path, v, key.Length == 0 ? k : $"{key}.{k}");
                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++) RefuseSecrets(path, a[i], $"{key}[{i}]");
                break;
            case JsonValue v when v.TryGetValue(out string? s) && s.Contains(SecretKeyMarker, StringComparison.OrdinalIgnoreCase):
                throw BackupJobConfigFile.Invalid(path, key, "holds an age secret key (AGE-SECRET-KEY-…), which a configuration never holds; it is not repeated here. Put it in an identity file readable by the job's user only (chmod 600) and name that file in \"encryption.identity_file\", or name an environment variable in \"encryption.identity_env\". Treat the key as exposed if others could read this file.");
        }
    }

    /// <summary>The section as written to a file (paths as given).</summary>
    public static JsonObject ToSection(IReadOnlyList<string>? recipients, string? identityFile, string? identityVariable,
        string? passphraseVariable, string? passphraseFile, IReadOnlyList<string>? trustedWriters)
    {
        static JsonArray Array(IEnumerable<string> xs) => new(xs.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray());
        var o = new JsonObject();
        if (recipients is { Count: > 0 }) o["recipients"] = Array(recipients);
        if (identityFile != null) o["identity_file"] = identityFile;
        if (identityVariable != null) o["identity_env"] = identityVariable;
        if (passphraseVariable != null) o["passphrase_env"] = passphraseVariable;
        if (passphraseFile != null) o["passphrase_file"] = passphraseFile;
        if (trustedWriters is { Count: > 0 }) o["trusted_writers"] = Array(trustedWriters);
        return o;
    }

    /// <summary>
    /// What the job would meet if it ran now, without failing: the problem that would stop it (a missing identity file,
    /// an unset variable) and warnings (a key file others may read). For New-/Get-SqliteBackupConfig and the job's
    /// preview; the job itself calls <see cref="Resolve"/>.
    /// </summary>
    public (SqliteBackupException? Problem, IReadOnlyList<SqliteBackupException> Warnings) Check()
    {
        try { return (null, Resolve().Warnings); }
        catch (SqliteBackupException e) { return (e, []); }
    }

    /// <summary>Reads the keys now: how the job encrypts, and what it opens its own backups with.</summary>
    /// <exception cref="SqliteBackupException">An identity or passphrase source that is missing, unreadable or empty.</exception>
    public JobKeys Resolve()
    {
        var warnings = new List<SqliteBackupException>();
        if (UsesPassphrase)
        {
            string passphrase = PassphraseVariable != null ? ReadVariable(PassphraseVariable) : ReadFile(PassphraseFile!, warnings);
            return new JobKeys(BackupEncryption.WithPassphrase(passphrase), BackupKeys.FromPassphrase(passphrase), warnings);
        }
        var read = IdentityFile != null ? AgeIdentityFile.Load(IdentityFile) : AgeIdentityFile.FromEnvironment(IdentityVariable!);
        warnings.AddRange(read.Warnings);
        var recipients = AgeX25519Recipient.ParseAll(Recipients);
        var trusted = TrustedWriters.Count > 0 ? AgeX25519Recipient.ParseAll(TrustedWriters) : null;
        return new JobKeys(BackupEncryption.ToRecipients(recipients, read.Identities[0]), new BackupKeys(read.Identities, null, trusted), warnings);
    }

    static string ReadVariable(string variable)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(value)) throw BackupErrors.EncryptionPassphraseSourceMissing($"the environment variable {variable}", variable);
        return value;
    }

    static string ReadFile(string path, List<SqliteBackupException> warnings)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { throw BackupErrors.EncryptionPassphraseSourceMissing($"the passphrase file '{path}'", path); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { throw BackupErrors.EncryptionIdentityFileUnreadable(path, e); }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOthers) != 0)
            warnings.Add(BackupErrors.EncryptionPassphraseFileExposed(path, File.GetUnixFileMode(path)));
        // One trailing line end, as an editor or echo leaves it, is not part of the passphrase.
        if (text.EndsWith("\r\n", StringComparison.Ordinal)) text = text[..^2];
        else if (text.EndsWith('\n')) text = text[..^1];
        if (text.Length == 0) throw BackupErrors.EncryptionPassphraseEmpty();
        return text;
    }

    const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    static readonly System.Text.RegularExpressions.Regex VariableName = new("^[A-Za-z_][A-Za-z0-9_]{0,127}$");

    /// <summary>For previews and Get-SqliteBackupConfig: where the keys come from, never a key.</summary>
    public override string ToString() => UsesPassphrase
        ? "passphrase from " + (PassphraseVariable is { } v ? "$" + v : $"file '{PassphraseFile}'")
        : $"to {Recipients.Count} recipient(s), identity from " + (IdentityVariable is { } iv ? "$" + iv : $"file '{IdentityFile}'")
          + (TrustedWriters.Count > 0 ? $", {TrustedWriters.Count} trusted writer(s)" : "");
}

/// <summary>The keys of one run: how its backups are encrypted and what it opens them with; the warnings to log.</summary>
public sealed record JobKeys(BackupEncryption Encryption, BackupKeys Keys, IReadOnlyList<SqliteBackupException> Warnings);
