namespace SqliteBackup.Core.Storage;

/// <summary>The wait before a retry: doubling from 0.2 s, jittered down by up to a half so that clients that failed together do not come back together.</summary>
static class Backoff
{
    static readonly TimeSpan First = TimeSpan.FromSeconds(0.2);

    /// <param name="retry">1 for the first retry.</param>
    public static TimeSpan Doubling(int retry) => First * Math.Pow(2, Math.Min(retry, 8) - 1) * (0.5 + Random.Shared.NextDouble() / 2);

    /// <summary>The SDK retries' longest wait before retry <paramref name="retry"/> (1-based): 0.5 s doubling, at most 8 s (Azure.Core's defaults, also used for S3 here).</summary>
    public static TimeSpan SdkCeiling(int retry) => TimeSpan.FromSeconds(Math.Min(0.5 * Math.Pow(2, Math.Max(0, retry - 1)), 8));
}
