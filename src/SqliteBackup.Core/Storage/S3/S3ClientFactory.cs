using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace SqliteBackup.Core.Storage.S3;

/// <summary>
/// One S3 client configured the way the AWS tools are: the SDK's own credential chain (AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, the shared credentials and config files, then the instance's
/// role) unless the caller hands over a key pair; AWS_REGION or the profile's region; AWS_ENDPOINT_URL_S3 or
/// AWS_ENDPOINT_URL (or ?endpoint= in the location) for an S3-compatible server.
/// </summary>
static class S3ClientFactory
{
    /// <summary>
    /// Standard mode retries timeouts, connection failures, 5xx and throttling (503 SlowDown) with jittered exponential
    /// backoff, and never a 4xx that is the caller's fault. Four retries ride out a restarting gateway without making a
    /// dead one take minutes to report.
    /// </summary>
    internal const int MaxRetries = 4;

    /// <summary>
    /// <paramref name="forData"/>: a client for request bodies and object downloads, whose requests have no total
    /// limit (a part over a slow link may take minutes); a <see cref="StallWatch"/> ends them when the bytes stop.
    /// The other client's requests are small and get the short per-request limit.
    /// </summary>
    public static AmazonS3Client Create(S3Location location, StoreOptions options, out Uri? endpoint, bool forData = false)
    {
        var request = options.RequestLimit();
        endpoint = location.Endpoint ?? EndpointFromEnvironment();
        var config = new AmazonS3Config
        {
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = MaxRetries,
            // The HTTP client's whole-request limit; for data, one day stands for none (the SDK wants a finite value).
            Timeout = forData ? TimeSpan.FromDays(1) : request,
            ConnectTimeout = request < TimeSpan.FromSeconds(10) ? request : TimeSpan.FromSeconds(10),
        };
        if (forData) config.HttpClientFactory = new DataHttpClients(config.ConnectTimeout.Value);
        string? region = location.Region ?? RegionFromEnvironment(askInstance: endpoint == null);
        if (endpoint != null)
        {
            // An S3-compatible server (Ceph radosgw, MinIO...): bucket in the path, since its DNS knows no
            // bucket.host names, and checksums only where the API requires them; the SDK 4 defaults add trailers
            // these servers refuse (radosgw answers 400 XAmzContentSHA256Mismatch).
            config.ServiceURL = endpoint.AbsoluteUri;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region ?? "us-east-1";
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region ?? "us-east-1");
        }

        if (options.Secret != null)
        {
            if (string.IsNullOrEmpty(options.UserName))
                throw Errors.BackupErrors.StoreAccessDenied(location.Text, "a secret access key was given without its access key id (the credential's user name)");
            return new BudgetedS3Client(new BasicAWSCredentials(options.UserName, options.Secret), config);
        }
        if (options.Profile != null)
        {
            // The named profile's keys (or its role, SSO...) from the shared files, as `aws --profile` reads them.
            if (!new Amazon.Runtime.CredentialManagement.CredentialProfileStoreChain().TryGetAWSCredentials(options.Profile, out var profile))
                throw Errors.BackupErrors.StoreAccessDenied(location.Text, $"there is no AWS profile named '{options.Profile}' in the shared credentials or config file of this account");
            return new BudgetedS3Client(profile, config);
        }
        return new BudgetedS3Client(config);
    }

    /// <summary>The data client's connections: bounded send buffers (see <see cref="TransferConnections"/>), no total limit.</summary>
    sealed class DataHttpClients(TimeSpan connectTimeout) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(TransferConnections.Handler(connectTimeout)) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;
        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
        public override string GetConfigUniqueString(IClientConfig clientConfig) => "sqlitebackup-data:" + connectTimeout.Ticks;
    }

    static Uri? EndpointFromEnvironment()
    {
        foreach (var variable in new[] { "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL" })
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrWhiteSpace(value)) continue;
            return S3Location.ParseEndpoint(value.Trim(), why => Errors.BackupErrors.StoreLocationInvalid(variable, $"{variable}: {why}"));
        }
        return null;
    }

    /// <summary>
    /// AWS_REGION, the profile's region, then (on AWS only) the instance's, as the SDK's own fallback chain reads them.
    /// The chain caches its first answer for the process; a shell session that changes AWS_REGION means the new one.
    /// </summary>
    static string? RegionFromEnvironment(bool askInstance)
    {
        try
        {
            FallbackRegionFactory.Reset();
            return FallbackRegionFactory.GetRegionEndpoint(askInstance)?.SystemName;
        }
        catch (AmazonClientException) { return null; }
    }
}
