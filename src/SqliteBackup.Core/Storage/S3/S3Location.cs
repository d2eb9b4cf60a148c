using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.S3;

/// <summary>
/// s3://bucket/prefix[?endpoint=URL&amp;region=NAME]. The query follows Litestream's: a job with two S3 destinations on
/// two services cannot say so through one AWS_ENDPOINT_URL. Without it the endpoint and region come from the
/// environment the way the AWS tools read them. No secret ever lives in a location.
/// </summary>
public sealed record S3Location(string Bucket, string Prefix, Uri? Endpoint, string? Region)
{
    /// <summary>The location as messages show it: bucket and prefix; the endpoint is named only where reaching it failed.</summary>
    public string Text => $"s3://{Bucket}{(Prefix.Length > 0 ? "/" + Prefix : "")}";

    /// <summary>The key of an object; the caller has checked the name is flat.</summary>
    public string Key(string name) => KeyPrefix + name;

    /// <summary>"prefix/" (or "" at the bucket's root): what every key of this location starts with.</summary>
    public string KeyPrefix => Prefix.Length > 0 ? Prefix + "/" : "";

    public static S3Location Parse(Uri uri)
    {
        string shown = StoreText.Redact(uri.OriginalString);
        if (!uri.Scheme.Equals("s3", StringComparison.OrdinalIgnoreCase)) throw BackupErrors.StoreLocationInvalid(shown, "the scheme is not s3://");
        if (uri.UserInfo.Length > 0)
            throw BackupErrors.StoreLocationInvalid(shown, "credentials do not belong in the location; use the AWS environment variables or a profile (AWS_PROFILE and the shared credentials file)");
        string bucket = uri.Host;
        if (bucket.Length is < 3 or > 63) throw BackupErrors.StoreLocationInvalid(shown, "it names no bucket (s3://bucket/prefix)");
        var prefix = Uri.UnescapeDataString(uri.AbsolutePath).Trim('/');
        if (prefix.Split('/').Any(p => p is "." or ".." || (p.Length == 0 && prefix.Length > 0)))
            throw BackupErrors.StoreLocationInvalid(shown, "the prefix has an empty, '.' or '..' segment");

        Uri? endpoint = null;
        string? region = null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key.ToLowerInvariant())
            {
                case "endpoint":
                    if (!Uri.TryCreate(value, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
                        throw BackupErrors.StoreLocationInvalid(shown, $"the endpoint '{value}' is not an http:// or https:// URL");
                    break;
                case "region":
                    region = value.Length > 0 ? value : null;
                    break;
                default:
                    throw BackupErrors.StoreLocationInvalid(shown, $"'{key}' is not a setting of an s3:// location (endpoint, region)");
            }
        }
        return new S3Location(bucket, prefix, endpoint, region);
    }
}
