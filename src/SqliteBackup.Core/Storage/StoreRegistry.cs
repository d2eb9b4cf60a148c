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
    /// <summary>One operation on a remote store with all its retries: no new attempt starts past it (see <see cref="StoreTimeouts"/>).</summary>
    public TimeSpan Timeout { get; init; } = StoreTimeouts.DefaultTimeout;
    /// <summary>One small request (list, stat, delete, a manifest); capped by <see cref="Timeout"/>.</summary>
    public TimeSpan RequestTimeout { get; init; } = StoreTimeouts.DefaultRequestTimeout;
    /// <summary>A data transfer with no byte moving; capped by <see cref="Timeout"/>. A transfer that moves is never cut for its length.</summary>
    public TimeSpan StallTimeout { get; init; } = StoreTimeouts.DefaultStallTimeout;

    // A record prints every property; these options reach log templates and debuggers, the secret must not.
    bool PrintMembers(System.Text.StringBuilder b)
    {
        b.Append($"AllowInsecureDirectory = {AllowInsecureDirectory}, Create = {Create}, UserName = {UserName}, Secret = {(Secret == null ? "" : "(hidden)")}, Profile = {Profile}, Timeout = {Timeout}, RequestTimeout = {RequestTimeout}, StallTimeout = {StallTimeout}");
        return true;
    }
}

/// <summary>Locations as they may appear in messages, and what System.Uri would hide of them.</summary>
public static class StoreText
{
    /// <summary>
    /// Drops a URI's password, query (SAS tokens, an endpoint's credentials) and fragment, keeping the rest as written:
    /// System.Uri would resolve "x/../p" to "p" and show another place than the one the user wrote.
    /// </summary>
    public static string Redact(string location)
    {
        int scheme = location.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 2 || location.StartsWith("file:", StringComparison.OrdinalIgnoreCase)) return location;
        int start = scheme + 3;
        int authorityEnd = location.IndexOfAny(['/', '?', '#'], start);
        if (authorityEnd < 0) authorityEnd = location.Length;
        int at = authorityEnd > start ? location.LastIndexOf('@', authorityEnd - 1, authorityEnd - start) : -1;
        // A password with a '/', '?' or '#' in it ends the authority early: it is user info all the same.
        if (at < 0 && authorityEnd > start && location[start] != '[' && location.IndexOf(':', start, authorityEnd - start) is >= 0 and var colonAt
            && !location[(colonAt + 1)..authorityEnd].All(char.IsAsciiDigit))
            at = location.IndexOf('@', authorityEnd);
        string user = at < 0 ? "" : location[start..at];
        if (user.IndexOf(':') is >= 0 and var colon) user = user[..colon];
        string rest = at < 0 ? location[start..] : location[(at + 1)..];
        int cut = rest.IndexOfAny(['?', '#']);
        return location[..start] + (at < 0 ? "" : user + "@") + (cut < 0 ? rest : rest[..cut]);
    }

    /// <summary>An endpoint as messages name it: scheme, host and port, never its user info.</summary>
    public static string Endpoint(Uri endpoint) => endpoint.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);

    /// <summary>
    /// Why a location, as written, could name a place other than the one meant, or null: a fragment (System.Uri
    /// drops it), or an empty, "." or ".." path segment, also percent-encoded (System.Uri resolves them). The path is
    /// read from the raw text, since a parsed Uri has already lost all of these.
    /// </summary>
    public static string? AmbiguousPath(string written)
    {
        if (written.Contains('#')) return "it has a fragment ('#...'), which would be dropped; write a '#' in a prefix as %23";
        int start = written.IndexOf("://", StringComparison.Ordinal);
        if (start < 0) return null;
        int end = written.IndexOf('?', start + 3);
        string rest = end < 0 ? written[(start + 3)..] : written[(start + 3)..end];
        int slash = rest.IndexOf('/');
        if (slash < 0) return null;
        var segments = rest[(slash + 1)..].Split('/');
        // One trailing '/' is how a directory is often written; any other empty segment is a typo or a trick.
        if (segments.Length > 0 && segments[^1].Length == 0) segments = segments[..^1];
        foreach (var segment in segments)
        {
            string s = Uri.UnescapeDataString(segment);
            if (s.Length == 0 || s is "." or "..")
                return $"the path has an empty, '.' or '..' segment ('{segment}'), which would be read as another place; name the place itself";
        }
        return null;
    }

    /// <summary>
    /// A path as a location shows it so that reading it back gives the same path: '%', '?' and '#' (and control
    /// characters) escaped, spaces and letters of any script left readable.
    /// </summary>
    public static string EscapePath(string path)
    {
        var b = new System.Text.StringBuilder(path.Length);
        foreach (char c in path)
        {
            if (c is '%' or '?' or '#' or '\\' || char.IsControl(c)) b.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else b.Append(c);
        }
        return b.ToString();
    }
}
