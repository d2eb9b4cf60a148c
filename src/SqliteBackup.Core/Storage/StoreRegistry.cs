using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage.Azure;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Storage.S3;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Storage;

/// <summary>
/// From a location as the user writes it to its store: a URI scheme names the back end (s3://, azure://, sftp://),
/// anything else is a local path. A new back end registers its scheme here and nothing else changes.
/// </summary>
public static class StoreRegistry
{
    static readonly Dictionary<string, Func<Uri, StoreOptions, IBackupStore>> Schemes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["s3"] = (uri, options) => new S3Store(uri, options),
        // One back end, three ways to write its location (see AzureLocation): an account, or a container URL.
        [AzureLocation.Scheme] = (uri, options) => new AzureStore(uri, options),
        [AzureLocation.Scheme + "+https"] = (uri, options) => new AzureStore(uri, options),
        [AzureLocation.Scheme + "+http"] = (uri, options) => new AzureStore(uri, options),
        ["sftp"] = (uri, options) => new SftpStore(uri, options),
    };

    /// <summary>Adds a back end; a scheme can be registered once.</summary>
    public static void Register(string scheme, Func<Uri, StoreOptions, IBackupStore> open)
    {
        lock (Schemes)
        {
            if (!Schemes.TryAdd(scheme, open)) throw new InvalidOperationException($"The scheme '{scheme}' is already registered.");
        }
    }

    /// <summary>True for "scheme://..." with a scheme of two or more letters (so "C:\backups" stays a local path).</summary>
    public static bool IsRemote(string location) => SchemeOf(location) is { } s && !s.Equals("file", StringComparison.OrdinalIgnoreCase);

    public static IBackupStore Open(string location, StoreOptions? options = null)
    {
        options ??= new StoreOptions();
        string? scheme = SchemeOf(location);
        if (scheme == null) return new LocalDirectoryStore(location, options);
        if (scheme.Equals("file", StringComparison.OrdinalIgnoreCase)) return new LocalDirectoryStore(new Uri(location).LocalPath, options);
        Func<Uri, StoreOptions, IBackupStore>? open;
        lock (Schemes) Schemes.TryGetValue(scheme, out open);
        if (open == null || !Uri.TryCreate(location, UriKind.Absolute, out var uri)) throw BackupErrors.UnknownStoreScheme(StoreText.Redact(location), scheme, KnownSchemes());
        return open(uri, options);
    }

    static string KnownSchemes()
    {
        lock (Schemes) return string.Join(", ", Schemes.Keys.Order(StringComparer.Ordinal).Select(s => s + "://"));
    }

    static string? SchemeOf(string location)
    {
        int i = location.IndexOf("://", StringComparison.Ordinal);
        if (i < 2) return null;
        var scheme = location[..i];
        return scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.') && char.IsAsciiLetter(scheme[0]) ? scheme : null;
    }
}

/// <summary>What a store may need besides its location; secrets stay in memory and never reach a message.</summary>
public sealed record StoreOptions
{
    /// <summary>Accept a local directory that users other than its owner and root can write (see Trust/DirectoryTrust).</summary>
    public bool AllowInsecureDirectory { get; init; }
    /// <summary>Create the location when it is missing (writers do; readers report it missing).</summary>
    public bool Create { get; init; }
    /// <summary>Who to be at the store (S3: access key id; Azure: account; SFTP: user), with <see cref="Secret"/>.</summary>
    public string? UserName { get; init; }
    /// <summary>S3: secret access key; Azure: account key; SFTP: password or the private key's passphrase.</summary>
    public string? Secret { get; init; }
    /// <summary>A named profile of the ecosystem's own credential files (S3: ~/.aws/credentials and config), when no secret is given.</summary>
    public string? Profile { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    // A record prints every property; these options reach log templates and debuggers, the secret must not.
    bool PrintMembers(System.Text.StringBuilder b)
    {
        b.Append($"AllowInsecureDirectory = {AllowInsecureDirectory}, Create = {Create}, UserName = {UserName}, Secret = {(Secret == null ? "" : "(hidden)")}, Profile = {Profile}, Timeout = {Timeout}");
        return true;
    }
}

/// <summary>Locations as they may appear in messages.</summary>
public static class StoreText
{
    /// <summary>Drops a URI's user info and query (SAS tokens, passwords), keeping what says where.</summary>
    public static string Redact(string location)
    {
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.IsFile) return location;
        var b = new UriBuilder(uri) { Password = "", Query = "" };
        if (b.UserName.Length > 0 && b.Password.Length == 0) b.UserName = uri.UserInfo.Split(':')[0];
        return b.Uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.UserInfo | UriComponents.Path, UriFormat.UriEscaped);
    }
}
