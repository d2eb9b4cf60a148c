using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.S3;

/// <summary>
/// The SDK's exceptions as the errors a user can act on. Messages carry the location, the HTTP status and S3's error
/// code; never a key, a signature or a secret (the SDK's own message for a bad signature quotes the string it signed).
/// </summary>
static class S3Failures
{
    static readonly HashSet<string> CredentialCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
        "AllAccessDisabled", "AccountProblem", "InvalidSecurity", "RequestTimeTooSkewed",
    };

    /// <summary>Null for what is not a store failure (our own errors, a cancellation the caller asked for).</summary>
    public static SqliteBackupException? Map(Exception e, string location, Uri? endpoint, CancellationToken ct, string? waited = null)
    {
        if (e is SqliteBackupException or SourceFailedException || ct.IsCancellationRequested) return null;
        string where = endpoint != null ? $"the S3 endpoint {StoreText.Endpoint(endpoint)}" : "Amazon S3";
        switch (e)
        {
            case AmazonS3Exception s3 when s3.StatusCode == HttpStatusCode.Forbidden || CredentialCodes.Contains(s3.ErrorCode ?? ""):
                return BackupErrors.StoreAccessDenied(location, $"{where} answered {Status(s3)}{Hint(s3.ErrorCode)}", e);
            case AmazonS3Exception s3 when s3.ErrorCode == "NoSuchBucket":
                return BackupErrors.StoreLocationNotFound(location, $"{where} has no bucket of that name (NoSuchBucket)", e);
            case AmazonS3Exception s3 when (int)s3.StatusCode >= 500 || s3.ErrorCode is "SlowDown" or "RequestTimeout" or "ServiceUnavailable":
                return BackupErrors.StoreUnavailable(location, $"{where} kept answering {Status(s3)} ({S3ClientFactory.MaxRetries + 1} attempts at most){(waited == null ? "" : "; " + waited)}", e);
            case AmazonS3Exception s3:
                return BackupErrors.StoreRequestFailed(location, $"{where} answered {Status(s3)}", e);
        }
        if (IsUnreachable(e))
            return BackupErrors.StoreUnavailable(location, $"{where} did not answer in time or refused the connection ({Innermost(e).GetType().Name}: {Innermost(e).Message}){(waited == null ? "" : "; " + waited)}", e);
        if (e is Amazon.Runtime.CredentialManagement.ProfileNotFoundException)
            return BackupErrors.StoreAccessDenied(location, $"the AWS profile '{Environment.GetEnvironmentVariable("AWS_PROFILE")}' (AWS_PROFILE) is in neither the shared credentials file nor the config file", e);
        if (e is AmazonClientException && e.Message.Contains("credential", StringComparison.OrdinalIgnoreCase))
            return BackupErrors.StoreAccessDenied(location, "no AWS credentials were found (environment, AWS_PROFILE, shared credentials file or instance role)", e);
        if (e is AmazonClientException)
            return BackupErrors.StoreRequestFailed(location, e.Message, e);
        return null;
    }

    static bool IsUnreachable(Exception e)
    {
        for (Exception? x = e; x != null; x = x.InnerException)
            if (x is HttpRequestException or SocketException or TimeoutException or TaskCanceledException or IOException) return true;
        return false;
    }

    static Exception Innermost(Exception e)
    {
        while (e.InnerException != null) e = e.InnerException;
        return e;
    }

    static string Status(AmazonS3Exception e) => $"{(int)e.StatusCode} {(string.IsNullOrEmpty(e.ErrorCode) ? e.StatusCode.ToString() : e.ErrorCode)}";

    static string Hint(string? code) => code switch
    {
        "InvalidAccessKeyId" => ": the access key id is unknown there",
        "SignatureDoesNotMatch" => ": the secret access key does not belong to that access key id",
        "ExpiredToken" or "TokenRefreshRequired" => ": the session token has expired",
        "RequestTimeTooSkewed" => ": this machine's clock is too far off",
        _ => "",
    };
}
