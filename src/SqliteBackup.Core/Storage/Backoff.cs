namespace SqliteBackup.Core.Storage;

/// <summary>The wait before a retry: doubling from 0.2 s, jittered down by up to a half so that clients that failed together do not come back together.</summary>
static class Backoff
{
    static readonly TimeSpan First = TimeSpan.FromSeconds(0.2);

    /// <param name="retry">1 for the first retry.</param>
    public static TimeSpan Doubling(int retry) => First * Math.Pow(2, Math.Min(retry, 8) - 1) * (0.5 + Random.Shared.NextDouble() / 2);
}
