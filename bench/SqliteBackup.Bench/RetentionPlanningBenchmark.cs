using BenchmarkDotNet.Attributes;
using SqliteBackup.Core;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.Bench;

/// <summary>Issue target: planning 100,000 backups takes at most 200 ms.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class RetentionPlanningBenchmark
{
    [Params(100_000)]
    public int Backups;

    RetentionCandidate[] _candidates = [];
    BackupInfo[] _infos = [];
    readonly RetentionPolicy _policy = new() { KeepLast = 10, KeepHourly = 48, KeepDaily = 30, KeepWeekly = 12, KeepMonthly = 12, KeepYearly = -1 };
    readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        var start = new DateTimeOffset(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // One backup every ~50 minutes for ~9.5 years, a few manual ones and some failed verifications.
        _candidates = Enumerable.Range(0, Backups).Select(i =>
        {
            var t = start.AddMinutes(i * 50 + rng.Next(10));
            bool manual = rng.Next(100) == 0;
            return new RetentionCandidate(i.ToString("x8"), t, [], manual, manual ? "manual" : null,
                rng.Next(50) == 0 ? VerificationState.Failed : VerificationState.Passed);
        }).ToArray();
        _infos = _candidates.Select(c => new BackupInfo(new BackupManifest
        {
            Id = c.Id, File = c.Id + ".db.zst", Database = "app", CreatedUtc = c.Time.UtcDateTime,
            Type = c.IsProtected ? BackupType.Manual : BackupType.Automatic,
        }, "/backups/" + c.Id + ".db.zst.manifest.json")).ToArray();
    }

    [Benchmark(Description = "RetentionPlanner.Plan, 100k candidates")]
    public int Planner() => RetentionPlanner.Plan(_candidates, _policy, _zone).Count;

    [Benchmark(Description = "BackupRotation.Plan, 100k catalogued backups")]
    public int Rotation() => BackupRotation.Plan(_infos, _policy, _zone).Count;
}
