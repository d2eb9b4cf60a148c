using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.Azure;

/// <summary>
/// Where backups live in Azure Blob Storage, written one of two ways:
/// <list type="bullet">
/// <item><c>azure://account/container/prefix</c>, the service at https://account.blob.core.windows.net unless
/// AZURE_STORAGE_CONNECTION_STRING's BlobEndpoint or <c>?endpoint=URL</c> says otherwise;</item>
/// <item>a container URL behind <c>azure+https://</c> (or <c>azure+http://</c> for Azurite's path-style
/// http://127.0.0.1:10000/devstoreaccount1/container/prefix). A bare https:// is not taken: a scheme names the back
/// end, and https:// names none.</item>
/// </list>
/// No secret ever lives in a location: a SAS query is refused (it would end up in job files and logs).
/// </summary>
/// <param name="Endpoint">The blob service URL the location names (null: from the environment, or the account's default).</param>
/// <param name="LockMode">
/// <c>?lock-mode=</c>, S3's words for Azure's immutability policy modes: governance (the default) is Unlocked (the
/// policy can still be shortened or removed by an account allowed to), compliance is Locked (no one can). Said outright, it
/// also means the lock is required: a container without version-level immutability is refused instead of written unlocked.
/// </param>
public sealed record AzureLocation(string Account, string Container, string Prefix, Uri? Endpoint, BlobImmutabilityPolicyMode? LockMode = null)
{
    public const string Scheme = "azure";

    /// <summary>
    /// The location as messages show it and as it reopens: azure://account/container/prefix, or with an endpoint of
    /// its own the container URL form (a query would be dropped wherever locations are shown, and the endpoint with it).
    /// </summary>
    /// '%', '?' and '#' in the prefix are shown escaped, so that the text reopens the same prefix.
    public string Text => Endpoint == null
        ? $"{Scheme}://{Account}/{Container}{ShownPrefix}"
        : $"{Scheme}+{Endpoint.Scheme}://{Endpoint.Authority}{Endpoint.AbsolutePath.TrimEnd('/')}/{Container}{ShownPrefix}";

    string ShownPrefix => Prefix.Length > 0 ? "/" + StoreText.EscapePath(Prefix) : "";

    /// <summary>"prefix/" (or "" at the container's root): what every blob name of this location starts with.</summary>
    public string KeyPrefix => Prefix.Length > 0 ? Prefix + "/" : "";

    /// <summary>The blob name of an object; the caller has checked the name is flat.</summary>
    public string Key(string name) => KeyPrefix + name;

    /// <summary>The account's blob service in Azure's public cloud.</summary>
    public static Uri DefaultEndpoint(string account) => new($"https://{account}.blob.core.windows.net/");

    public static AzureLocation Parse(Uri uri)
    {
        string shown = StoreText.Redact(uri.OriginalString);
        string scheme = uri.Scheme.ToLowerInvariant();
        if (uri.UserInfo.Length > 0) throw Invalid(shown, "credentials do not belong in the location; " + WhereCredentialsGo);
        if (StoreText.AmbiguousPath(uri.OriginalString) is { } ambiguous) throw Invalid(shown, ambiguous);
        if (uri.Query.Length > 1 && HasSas(uri.Query))
            throw Invalid(shown, "a SAS token does not belong in the location (it would be kept in job files and shown in logs); " + WhereCredentialsGo);

        return scheme switch
        {
            Scheme => ParseAccountForm(uri, shown),
            Scheme + "+https" or Scheme + "+http" => ParseUrlForm(uri, shown, scheme[(Scheme.Length + 1)..]),
            _ => throw Invalid(shown, "the scheme is not azure://, azure+https:// or azure+http://"),
        };
    }

    const string WhereCredentialsGo = "set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN";

    static AzureLocation ParseAccountForm(Uri uri, string shown)
    {
        if (!uri.IsDefaultPort) throw Invalid(shown, "azure://account names an account, not a host and port; put the endpoint in ?endpoint=http://host:port/account or write the container URL as azure+http://host:port/account/container/prefix");
        string account = uri.Host.ToLowerInvariant();
        CheckAccount(account, shown);
        var (container, prefix) = ContainerAndPrefix(Uri.UnescapeDataString(uri.AbsolutePath), shown);

        Uri? endpoint = null;
        BlobImmutabilityPolicyMode? lockMode = null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (key.Equals("lock-mode", StringComparison.OrdinalIgnoreCase))
            {
                lockMode = ParseLockMode(value, shown);
                continue;
            }
            if (!key.Equals("endpoint", StringComparison.OrdinalIgnoreCase))
                throw Invalid(shown, $"'{key}' is not a setting of an azure:// location (endpoint, lock-mode)");
            if (!Uri.TryCreate(value, UriKind.Absolute, out var given) || given.Scheme is not ("http" or "https") || given.Query.Length > 0 || given.UserInfo.Length > 0)
                throw Invalid(shown, $"the endpoint '{StoreText.Redact(value)}' is not an http:// or https:// URL of a blob service");
            endpoint = ServiceEndpoint(given, account, shown);
        }
        // The account's own public endpoint said outright is the same place as no endpoint at all.
        if (endpoint != null && endpoint == DefaultEndpoint(account)) endpoint = null;
        return new AzureLocation(account, container, prefix, endpoint, lockMode);
    }

    static BlobImmutabilityPolicyMode ParseLockMode(string value, string shown) => value.ToLowerInvariant() switch
    {
        "governance" or "unlocked" => BlobImmutabilityPolicyMode.Unlocked,
        "compliance" or "locked" => BlobImmutabilityPolicyMode.Locked,
        _ => throw Invalid(shown, $"lock-mode is '{value}'; it is governance (an Unlocked immutability policy, the default) or compliance (a Locked one)"),
    };

    static AzureLocation ParseUrlForm(Uri uri, string shown, string httpScheme)
    {
        // Only the lock mode: the endpoint is the URL itself.
        BlobImmutabilityPolicyMode? lockMode = null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq < 0 || !Uri.UnescapeDataString(pair[..eq]).Equals("lock-mode", StringComparison.OrdinalIgnoreCase))
                throw Invalid(shown, "a container URL takes no query but ?lock-mode=");
            lockMode = ParseLockMode(Uri.UnescapeDataString(pair[(eq + 1)..]), shown);
        }
        uri = new UriBuilder(uri) { Query = "" }.Uri;
        var url = new UriBuilder(uri) { Scheme = httpScheme, Port = uri.IsDefaultPort ? -1 : uri.Port }.Uri;
        // The SDK's own reading of blob URLs: account from the host (account.blob.core.windows.net) or, for an IP
        // address or Azurite's ports, from the first path segment.
        var parts = new BlobUriBuilder(url);
        string account = parts.AccountName?.ToLowerInvariant() ?? "";
        if (account.Length == 0)
            throw Invalid(shown, "no storage account can be read from it; write azure://account/container/prefix?endpoint=URL for a service under another name");
        CheckAccount(account, shown);
        if (string.IsNullOrEmpty(parts.BlobContainerName)) throw Invalid(shown, "it names no container");
        var (container, prefix) = ContainerAndPrefix("/" + parts.BlobContainerName + "/" + (parts.BlobName ?? ""), shown);
        parts.BlobContainerName = "";
        parts.BlobName = "";
        var endpoint = parts.ToUri();
        endpoint = new Uri(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        return new AzureLocation(account, container, prefix, endpoint == DefaultEndpoint(account) ? null : endpoint, lockMode);
    }

    /// <summary>An endpoint for the account: an IP-style one (Azurite) carries the account as its first path segment.</summary>
    static Uri ServiceEndpoint(Uri given, string account, string shown)
    {
        var parts = new BlobUriBuilder(given);
        bool pathStyle = given.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || given.IsLoopback || (given.Port >= 10000 && given.Port <= 10009);
        string path = given.AbsolutePath.Trim('/');
        if (pathStyle && path.Length == 0) path = account;
        else if (pathStyle && !string.Equals(parts.AccountName, account, StringComparison.OrdinalIgnoreCase))
            throw Invalid(shown, $"the endpoint names the account '{parts.AccountName}', the location '{account}'");
        return new Uri($"{given.Scheme}://{given.Authority}/{(path.Length > 0 ? path + "/" : "")}");
    }

    static (string Container, string Prefix) ContainerAndPrefix(string path, string shown)
    {
        var trimmed = path.Trim('/');
        int slash = trimmed.IndexOf('/');
        string container = slash < 0 ? trimmed : trimmed[..slash];
        string prefix = slash < 0 ? "" : trimmed[(slash + 1)..].TrimEnd('/');
        if (container.Length == 0) throw Invalid(shown, "it names no container (azure://account/container/prefix)");
        if (!IsContainerName(container))
            throw Invalid(shown, $"'{container}' is not a container name (3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit)");
        if (prefix.Split('/').Any(p => p is "." or ".." || (p.Length == 0 && prefix.Length > 0)))
            throw Invalid(shown, "the prefix has an empty, '.' or '..' segment");
        return (container, prefix);
    }

    static void CheckAccount(string account, string shown)
    {
        if (account.Length is < 3 or > 24 || !account.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
            throw Invalid(shown, $"'{account}' is not a storage account name (3-24 lower-case letters and digits)");
    }

    static bool IsContainerName(string c) =>
        c.Length is >= 3 and <= 63 && c.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '-')
        && c[0] != '-' && c[^1] != '-' && !c.Contains("--", StringComparison.Ordinal);

    static bool HasSas(string query) =>
        query.TrimStart('?').Split('&').Any(p => p.StartsWith("sig=", StringComparison.OrdinalIgnoreCase) || p.StartsWith("sv=", StringComparison.OrdinalIgnoreCase));

    static SqliteBackupException Invalid(string shown, string why) => BackupErrors.AzureLocationInvalid(shown, why);
}
