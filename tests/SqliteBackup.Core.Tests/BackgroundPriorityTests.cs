using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.Core.Tests;

/// <summary>How a backup keeps out of the way of the application's own writers (docs/benchmarks.md, writer latency).</summary>
public class BackgroundPriorityTests
{
    [Fact]
    public async Task A_backup_worker_thread_runs_in_the_idle_scheduling_class_so_a_waking_writer_preempts_it_at_once()
    {
        if (!OperatingSystem.IsLinux()) return;
        bool idle = false;
        await BackgroundPriority.Run(() => idle = BackgroundPriority.IsCurrentThreadIdleClass());
        Assert.True(idle);
        // Only the dedicated thread: the caller's stays as it was.
        Assert.False(BackgroundPriority.IsCurrentThreadIdleClass());
    }

    [Fact]
    public void A_file_read_snapshot_quick_checks_the_pinned_file_through_a_mapping_not_a_read_per_page()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        string db = Path.GetFullPath(t["app.db"]);
        // The mapping lives as long as the snapshot's connection: look while the engine reports the capture done.
        var seen = new MappingProbe(db);
        var info = new BackupEngine(seen).Create(new BackupRequest(t["app.db"]) { Destination = t["b"], Compression = CompressionKind.Zstd, Verify = SqliteBackup.Core.Verification.VerificationLevel.Standard });
        Assert.Equal(SnapshotMethod.FileRead, info.Manifest.SnapshotMethod);
        Assert.True(seen.Mapped, "the database file was not mapped while the snapshot was read");
    }

    sealed class MappingProbe(string path) : ILogger
    {
        public bool Mapped { get; private set; }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).StartsWith("Snapshot, compression and hashing", StringComparison.Ordinal))
                Mapped = File.ReadLines("/proc/self/maps").Any(l => l.EndsWith(" " + path, StringComparison.Ordinal));
        }
    }
}
