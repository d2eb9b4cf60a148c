namespace SqliteBackup.Core.Storage;

/// <summary>
/// Reports on the thread that reports (stores do so on the caller's: a shell can only draw progress from there),
/// unlike Progress&lt;T&gt;, which posts elsewhere.
/// </summary>
internal sealed class SyncProgress(Action<long> report) : IProgress<long>
{
    public void Report(long value) => report(value);
}
