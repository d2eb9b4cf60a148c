using System.Diagnostics;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Reporting;

namespace SqliteBackup.Core.Copies;

/// <summary>
/// Progress of one transfer as a user watching a long upload wants it: bytes so far of the total, the rate, and the
/// time left (from the average rate since the start: per-part rates swing with the parts in flight).
/// </summary>
public sealed class TransferRate(long total)
{
    readonly Stopwatch _clock = Stopwatch.StartNew();

    public BackupProgress Progress(string activity, long done, string where)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        double perSecond = seconds > 0 ? done / seconds : 0;
        string rate = perSecond > 0 ? $", {HumanSize.Format((long)perSecond)}/s" : "";
        int left = perSecond > 0 && total > done ? (int)Math.Min(int.MaxValue, (total - done) / perSecond) : -1;
        return new BackupProgress(activity, $"{HumanSize.Format(done)} of {HumanSize.Format(total)}{rate} {where}",
            total > 0 ? (int)Math.Min(100, done * 100 / total) : 100, SecondsRemaining: left);
    }
}
