using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage.Azure;

/// <summary>
/// One container client with credentials found the way Azure's own tools (az storage) find them: an account name and
/// key handed over by the caller (a -Credential) first, then AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT with
/// AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN. Nothing is sent without credentials.
/// </summary>
static class AzureClientFactory
{
    /// <summary>
    /// Azure.Core retries timeouts, dropped connections, 408, 429, 500, 502, 503 and 504 with jittered exponential
    /// backoff, and never another 4xx. Four retries ride out a restarting service without making a dead one take minutes.
    /// </summary>
    internal const int MaxRetries = 4;

    public static BlobContainerClient Create(AzureLocation location, StoreOptions options, out Uri endpoint)
    {
        var clientOptions = new BlobClientOptions();
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.MaxRetries = MaxRetries;
        clientOptions.Retry.Delay = TimeSpan.FromSeconds(0.5);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(8);
        // The same retries and backoff, held to what is left of the operation's total limit.
        clientOptions.RetryPolicy = new BudgetedRetryPolicy(MaxRetries);
        // Per attempt of a small request; TransferLimits gives uploads and downloads theirs (see there).
        clientOptions.Retry.NetworkTimeout = options.RequestLimit();
        clientOptions.AddPolicy(new TransferLimits(options.StallLimit()), HttpPipelinePosition.PerRetry);
        clientOptions.Diagnostics.ApplicationId = "SqliteBackup";
        string shown = location.Text;

        if (options.Secret != null)
        {
            string account = string.IsNullOrEmpty(options.UserName) ? location.Account : options.UserName;
            if (!account.Equals(location.Account, StringComparison.OrdinalIgnoreCase))
                throw BackupErrors.AzureAccessDenied(shown, $"the credential is for the storage account '{account}', the location names '{location.Account}'");
            endpoint = location.Endpoint ?? AzureLocation.DefaultEndpoint(location.Account);
            return new BlobContainerClient(ContainerUri(endpoint, location), SharedKey(account, options.Secret, "the credential's password", shown), clientOptions);
        }

        var connectionString = Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING");
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            BlobServiceClient service;
            // The SDK's message for a malformed string may quote it: only its name is shown.
            try { service = new BlobServiceClient(connectionString, clientOptions); }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                throw BackupErrors.AzureAccessDenied(shown, "AZURE_STORAGE_CONNECTION_STRING is not a connection string the Azure SDK can read");
            }
            if (!string.Equals(service.AccountName, location.Account, StringComparison.OrdinalIgnoreCase))
                throw BackupErrors.AzureAccessDenied(shown, $"AZURE_STORAGE_CONNECTION_STRING is for the storage account '{service.AccountName}', the location names '{location.Account}'");
            if (service.Uri.UserInfo.Length > 0)
                throw BackupErrors.AzureAccessDenied(shown, "AZURE_STORAGE_CONNECTION_STRING's BlobEndpoint carries user info, which Azure never reads; remove it (the account key or SAS goes in AccountKey or SharedAccessSignature)");
            endpoint = new Uri(service.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
            if (location.Endpoint != null && location.Endpoint != endpoint)
                throw BackupErrors.AzureAccessDenied(shown, $"AZURE_STORAGE_CONNECTION_STRING is for the endpoint {endpoint}, the location names {location.Endpoint}");
            return service.GetBlobContainerClient(location.Container);
        }

        endpoint = location.Endpoint ?? AzureLocation.DefaultEndpoint(location.Account);
        var key = Environment.GetEnvironmentVariable("AZURE_STORAGE_KEY");
        if (!string.IsNullOrWhiteSpace(key))
        {
            var named = Environment.GetEnvironmentVariable("AZURE_STORAGE_ACCOUNT");
            if (!string.IsNullOrWhiteSpace(named) && !named.Trim().Equals(location.Account, StringComparison.OrdinalIgnoreCase))
                throw BackupErrors.AzureAccessDenied(shown, $"AZURE_STORAGE_KEY belongs to the account '{named.Trim()}' (AZURE_STORAGE_ACCOUNT), the location names '{location.Account}'");
            return new BlobContainerClient(ContainerUri(endpoint, location), SharedKey(location.Account, key.Trim(), "AZURE_STORAGE_KEY", shown), clientOptions);
        }

        var sas = Environment.GetEnvironmentVariable("AZURE_STORAGE_SAS_TOKEN");
        if (!string.IsNullOrWhiteSpace(sas))
        {
            // A SAS token is a bearer secret in the query of every request: never in clear text across a network.
            if (endpoint.Scheme == Uri.UriSchemeHttp && !endpoint.IsLoopback)
                throw BackupErrors.AzureAccessDenied(shown, $"a SAS token would travel unencrypted to {endpoint.Authority} (http://); use an https:// endpoint");
            return new BlobContainerClient(ContainerUri(endpoint, location), new AzureSasCredential(sas.Trim().TrimStart('?')), clientOptions);
        }

        throw BackupErrors.AzureAccessDenied(shown, "no Azure credentials were found (AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN)");
    }

    /// <summary>
    /// A request with a body (Put Blob, Put Block) has no total limit per attempt: the caller's StallWatch ends it when
    /// the body stops moving, so a block over a slow link is not cut for being slow. A blob's download gets the stall
    /// limit, which Azure.Core applies to the answer's headers and then to each read of its body.
    /// </summary>
    sealed class TransferLimits(TimeSpan stall) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            var request = message.Request;
            if (request.Content != null && request.Method == RequestMethod.Put) message.NetworkTimeout = System.Threading.Timeout.InfiniteTimeSpan;
            else if (request.Method == RequestMethod.Get && !request.Uri.Query.Contains("comp=", StringComparison.Ordinal)) message.NetworkTimeout = stall;
        }
    }

    static Uri ContainerUri(Uri endpoint, AzureLocation location) => new(endpoint, location.Container);

    static StorageSharedKeyCredential SharedKey(string account, string key, string from, string shown)
    {
        // The SDK decodes the key at once; its message on a bad one says only that it is not base64.
        try { return new StorageSharedKeyCredential(account, key); }
        catch (FormatException) { throw BackupErrors.AzureAccessDenied(shown, $"{from} is not an account key (base64, as the portal and az storage account keys list show it)"); }
    }
}
