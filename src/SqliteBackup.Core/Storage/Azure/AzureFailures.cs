using System.Net.Sockets;
using Azure;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.Azure;

/// <summary>
/// The SDK's exceptions as errors a user can act on. Messages carry the location, the HTTP status and Azure's error
/// code; never a key, a SAS token or a connection string.
/// </summary>
static class AzureFailures
{
    static readonly HashSet<string> CredentialCodes = new(StringComparer.Ordinal)
    {
        "AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch", "AuthorizationProtocolMismatch",
        "AuthorizationResourceTypeMismatch", "AuthorizationServiceMismatch", "AuthorizationSourceIPMismatch",
        "InsufficientAccountPermissions", "AccountIsDisabled", "InvalidAuthenticationInfo", "NoAuthenticationInformation",
    };

    /// <summary>Null for what is not a store failure (our own errors, a cancellation the caller asked for).</summary>
    public static SqliteBackupException? Map(Exception e, string location, Uri endpoint, CancellationToken ct, string? waited = null)
    {
        if (e is SqliteBackupException or SourceFailedException || ct.IsCancellationRequested) return null;
        string where = $"the Azure Blob endpoint {StoreText.Redact(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/'))}";
        if (e is RequestFailedException { Status: > 0 } r)
        {
            string code = r.ErrorCode ?? "";
            string status = $"{r.Status} {(code.Length > 0 ? code : "")}".TrimEnd();
            if (r.Status == 403 || CredentialCodes.Contains(code))
                return BackupErrors.AzureAccessDenied(location, $"{where} answered {status}{Hint(code)}", e);
            if (code == "ContainerNotFound")
                return BackupErrors.AzureContainerNotFound(location, $"{where} has no container of that name (ContainerNotFound)", e);
            if (r.Status >= 500 || r.Status is 408 or 429 || code is "ServerBusy" or "OperationTimedOut" or "InternalError")
                return BackupErrors.AzureUnavailable(location, $"{where} kept answering {status} ({AzureClientFactory.MaxRetries + 1} attempts at most){(waited == null ? "" : "; " + waited)}", e);
            return BackupErrors.StoreRequestFailed(location, $"{where} answered {status}", e);
        }
        if (IsUnreachable(e))
        {
            var cause = Innermost(e);
            return BackupErrors.AzureUnavailable(location, $"{where} did not answer in time or refused the connection ({cause.GetType().Name}: {cause.Message}){(waited == null ? "" : "; " + waited)}", e);
        }
        return null;
    }

    /// <summary>
    /// Transport failures: Azure.Core reports a dropped connection as a RequestFailedException without a status, a
    /// timed-out attempt as a TaskCanceledException, and what still failed after its retries as an AggregateException.
    /// </summary>
    static bool IsUnreachable(Exception e)
    {
        if (e is AggregateException a) return a.InnerExceptions.All(IsUnreachable);
        for (Exception? x = e; x != null; x = x.InnerException)
            if (x is RequestFailedException { Status: 0 } or HttpRequestException or SocketException or TimeoutException or TaskCanceledException or IOException) return true;
        return false;
    }

    static Exception Innermost(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: > 0 } a) e = a.InnerExceptions[^1];
        while (e.InnerException != null) e = e.InnerException;
        return e;
    }

    static string Hint(string code) => code switch
    {
        "AuthenticationFailed" => ": the account key or SAS token is not accepted (a wrong or rotated key, a SAS signed with another key or expired, or this machine's clock far off)",
        "AuthorizationFailure" => ": the credential is not accepted or may not do this (a wrong key, or a SAS without the list, read, write, create and delete permissions)",
        "AuthorizationPermissionMismatch" => ": the credential may not do this (a SAS needs the list, read, write, create and delete permissions)",
        _ => "",
    };
}
