using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.S3;

/// <summary>
/// s3://bucket/prefix[?endpoint=URL&amp;region=NAME&amp;lock-mode=governance|compliance&amp;abort-uploads-after=24h]. The
/// query follows Litestream's: a job with two S3 destinations on two services cannot say so through one
/// AWS_ENDPOINT_URL. Without it the endpoint and region come from the environment the way the AWS tools read them.
/// No secret ever lives in a location.
/// </summary>
/// <param name="LockMode">
/// The Object Lock mode new backups get where the bucket has Object Lock on (governance when not said). Saying it at all
/// (?lock-mode=) asks for immutability: a bucket without Object Lock is then refused before anything is written.
/// </param>
/// <param name="AbortUploadsAfter">How old an incomplete multipart upload must be before a run aborts it as left by a killed run.</param>
public sealed record S3Location(string Bucket, string Prefix, Uri? Endpoint, string? Region,
    S3LockMode? LockMode = null, TimeSpan? AbortUploadsAfter = null)
{
    /// <summary>
    /// 24 hours: an upload still running after a day would be a terabyte at 12 MB/s, far beyond a SQLite backup, so a
    /// concurrent run's live upload is never taken for a dead one (aborting it would fail that run's backup); the cost
    /// of the wait is a day's storage of the dead upload's parts. rclone's cleanup uses the same age. A daily job that
    /// starts a few seconds early finds its predecessor's upload just short of a day and removes it the day after.
    /// </summary>
    public static readonly TimeSpan DefaultAbortUploadsAfter = TimeSpan.FromHours(24);

    /// <summary>The location as messages show it: bucket and prefix; the endpoint is named only where reaching it failed.</summary>
    /// '%', '?' and '#' in the prefix are shown escaped, so that the text reopens the same prefix.
    public string Text => $"s3://{Bucket}{(Prefix.Length > 0 ? "/" + StoreText.EscapePath(Prefix) : "")}";

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
        if (StoreText.AmbiguousPath(uri.OriginalString) is { } ambiguous) throw BackupErrors.StoreLocationInvalid(shown, ambiguous);
        var prefix = Uri.UnescapeDataString(uri.AbsolutePath).Trim('/');
        if (prefix.Split('/').Any(p => p is "." or ".." || (p.Length == 0 && prefix.Length > 0)))
            throw BackupErrors.StoreLocationInvalid(shown, "the prefix has an empty, '.' or '..' segment");

        Uri? endpoint = null;
        string? region = null;
        S3LockMode? lockMode = null;
        TimeSpan? abortAfter = null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key.ToLowerInvariant())
            {
                case "endpoint":
                    endpoint = ParseEndpoint(value, e => BackupErrors.StoreLocationInvalid(shown, e));
                    break;
                case "region":
                    region = value.Length > 0 ? value : null;
                    break;
                case "lock-mode":
                    lockMode = value.ToLowerInvariant() switch
                    {
                        "governance" => S3LockMode.Governance,
                        "compliance" => S3LockMode.Compliance,
                        _ => throw BackupErrors.StoreLocationInvalid(shown, $"lock-mode is '{value}'; it is governance (the default) or compliance"),
                    };
                    break;
                case "abort-uploads-after":
                    abortAfter = ParseAge(value) ?? throw BackupErrors.StoreLocationInvalid(shown,
                        $"abort-uploads-after is '{value}'; give a whole number of seconds, minutes, hours or days such as 90s, 30m, 24h or 2d");
                    break;
                default:
                    throw BackupErrors.StoreLocationInvalid(shown, $"'{key}' is not a setting of an s3:// location (endpoint, region, lock-mode, abort-uploads-after)");
            }
        }
        return new S3Location(bucket, prefix, endpoint, region, lockMode, abortAfter);
    }

    /// <summary>
    /// An S3 endpoint, from ?endpoint= or AWS_ENDPOINT_URL(_S3): an http:// or https:// URL without user info, which
    /// S3 never reads (keys sign requests) and which would otherwise reach messages and logs.
    /// </summary>
    internal static Uri ParseEndpoint(string value, Func<string, Exception> invalid)
    {
        // Neither message repeats the value: a mistyped URL may hold a password where System.Uri cannot find it.
        if (!Uri.TryCreate(value, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw invalid("the endpoint is not an http:// or https:// URL (such as https://s3.example.com or http://127.0.0.1:9000)");
        if (endpoint.UserInfo.Length > 0)
            throw invalid($"credentials do not belong in the endpoint {StoreText.Endpoint(endpoint)}; use the AWS environment variables or a profile (AWS_PROFILE and the shared credentials file)");
        return endpoint;
    }

    static TimeSpan? ParseAge(string text)
    {
        if (text.Length < 2 || !long.TryParse(text[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n)) return null;
        return char.ToLowerInvariant(text[^1]) switch
        {
            's' when n <= 100L * 365 * 86400 => TimeSpan.FromSeconds(n),
            'm' when n <= 100L * 365 * 1440 => TimeSpan.FromMinutes(n),
            'h' when n <= 100L * 365 * 24 => TimeSpan.FromHours(n),
            'd' when n <= 100L * 365 => TimeSpan.FromDays(n),
            _ => null,
        };
    }
}

/// <summary>S3 Object Lock's two modes: governance can be lifted by an account granted s3:BypassGovernanceRetention, compliance by no one.</summary>
public enum S3LockMode
{
    Governance,
    Compliance,
}
