using CsCheck;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Retention;

/// <summary>A backup dated after now (a clock set wrong for one run) never decides what rotation removes.</summary>
public sealed class FutureDatedTests
{
    static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    static readonly DateTimeOffset Now = new(2026, 5, 20, 12, 0, 0, TimeSpan.Zero);

    /// <summary>"id: reason | reason" for kept, "id: -" for removed, newest first.</summary>
    static string[] Summary(IEnumerable<RetentionDecision> decisions) => decisions
        .Select(d => d.Action == RetentionAction.Keep ? $"{d.Candidate.Id}: {string.Join(" | ", d.Reasons)}" : $"{d.Candidate.Id}: -")
        .ToArray();

    /// <summary>"id@offset" where offset is from <see cref="Now"/>: +30d, -1h, +4m; a suffix marks verification or protection.</summary>
    static RetentionCandidate C(string spec)
    {
        var parts = spec.Split('@');
        string id = parts[0], when = parts[1];
        var state = VerificationState.Unknown;
        bool manual = false;
        if (when.EndsWith('P')) { state = VerificationState.Passed; when = when[..^1]; }
        if (when.EndsWith('F')) { state = VerificationState.Failed; when = when[..^1]; }
        if (when.EndsWith('M')) { manual = true; when = when[..^1]; }
        int n = int.Parse(when[..^1], System.Globalization.CultureInfo.InvariantCulture);
        var offset = when[^1] switch { 'd' => TimeSpan.FromDays(n), 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), 's' => TimeSpan.FromSeconds(n), _ => throw new FormatException(spec) };
        return new RetentionCandidate(id, Now + offset, [], manual, manual ? "manual" : null, state);
    }

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // name, candidates, policy, expected decisions (newest first)
        { "the issue: keep-within 7d with one backup 30 days ahead", "F@+30d A@-1h B@-2d C@-10d", "within=7d", "F: dated in the future; A: within 7d; B: within 7d; C: -" },
        { "a future backup fills no last-n slot", "F@+1d A@-1h B@-2d C@-3d", "last=2", "F: dated in the future; A: last snapshot; B: last snapshot; C: -" },
        { "a future backup on today's date takes no daily bucket", "F@+2h A@-1h B@-1d C@-2d", "daily=2", "F: dated in the future; A: daily snapshot; B: daily snapshot; C: -" },
        { "a future backup in next month uses no monthly count", "F@+40d A@-1d B@-31d C@-62d", "monthly=2", "F: dated in the future; A: monthly snapshot; B: monthly snapshot; C: -" },
        { "a future backup is not the oldest either when it is the only one", "F@+3d", "last=1", "F: dated in the future" },
        { "a future backup is never the newest verified", "F@+1dP A@-1hP B@-1d", "", "F: dated in the future; A: newest verified; B: -" },
        { "a future manual backup keeps both reasons", "F@+1dM A@-1h B@-1d", "last=1", "F: manual | dated in the future; A: last snapshot; B: -" },
        { "a failed future backup is removed for its failure, not kept for its date", "F@+1dF A@-1h", "last=1", "F: -; A: last snapshot" },
        { "within the tolerance a backup is taken at its word, as restic does", "F@+4m A@-1h", "last=1", "F: last snapshot; A: -" },
        { "exactly five minutes ahead is still within the tolerance", "F@+300s A@-1h", "last=1", "F: last snapshot; A: -" },
        { "one second past the tolerance is future-dated", "F@+301s A@-1h", "last=1", "F: dated in the future; A: last snapshot" },
        { "a backup in the tolerance does not anchor the within window (restic's own guard)", "F@+4m A@-1h B@-2d", "within=1d", "F: within 1d; A: within 1d; B: -" },
        { "many future backups at once", "F1@+400d F2@+300d F3@+1d A@-1h B@-1d C@-2d D@-3d", "last=3", "F1: dated in the future; F2: dated in the future; F3: dated in the future; A: last snapshot; B: last snapshot; C: last snapshot; D: -" },
    };

    static RetentionPolicy Policy(string text)
    {
        var p = new RetentionPolicy();
        foreach (var rule in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (k, v) = (rule.Split('=')[0], rule.Split('=')[1]);
            p = k switch
            {
                "last" => p with { KeepLast = int.Parse(v) },
                "daily" => p with { KeepDaily = int.Parse(v) },
                "monthly" => p with { KeepMonthly = int.Parse(v) },
                "within" => p with { KeepWithin = RetentionDuration.Parse(v) },
                _ => throw new FormatException(rule),
            };
        }
        return p;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Planner_keeps_future_dated_backups_and_plans_the_rest_as_if_they_were_absent(string name, string candidates, string policy, string expected)
    {
        var list = candidates.Split(' ').Select(C).ToArray();
        var plan = RetentionPlanner.Plan(list, Policy(policy), Utc, Now);
        Assert.True(expected.Split("; ") is var e && e.SequenceEqual(Summary(plan)), $"{name}: got {string.Join("; ", Summary(plan))}");
    }

    [Fact]
    public void Without_now_the_planner_is_restic_exactly()
    {
        // What the issue saw, and what restic does when it is not told the time: the future backup anchors the window.
        var list = "F@+30d A@-1h B@-2d".Split(' ').Select(C).ToArray();
        Assert.Equal(["F: within 7d", "A: -", "B: -"], Summary(RetentionPlanner.Plan(list, Policy("within=7d"), Utc)));
    }

    [Fact]
    public void Adding_future_dated_backups_changes_no_other_decision()
    {
        var step = Gen.OneOfConst(TimeSpan.FromMinutes(13), TimeSpan.FromHours(5), TimeSpan.FromDays(3));
        var gen =
            from s in step
            from items in Gen.Select(Gen.Int[0, 400], Gen.Int[0, 9], Gen.Bool).Array[1, 30]
            from futures in Gen.Select(Gen.Long[TimeSpan.FromMinutes(5).Ticks + TimeSpan.TicksPerSecond, TimeSpan.FromDays(800).Ticks], Gen.Int[0, 9]).Array[1, 5]
            from policy in Gen.Select(Gen.Int[-1, 4], Gen.Int[-1, 4], Gen.Int[0, 40])
            select (s, items, futures, policy);
        gen.Sample(x =>
        {
            var (s, items, futures, p) = x;
            static VerificationState V(int i) => i switch { 0 => VerificationState.Failed, 1 or 2 => VerificationState.Passed, _ => VerificationState.Unknown };
            var real = items.Select((it, i) => new RetentionCandidate($"r{i}", Now - s * it.Item1, [], it.Item3 && it.Item2 == 9, null, V(it.Item2))).ToArray();
            var future = futures.Select((f, i) => new RetentionCandidate($"f{i}", Now + TimeSpan.FromTicks(f.Item1), [], false, null, V(f.Item2))).ToArray();
            var policy = new RetentionPolicy { KeepLast = p.Item1, KeepDaily = p.Item2, KeepWithin = p.Item3 == 0 ? null : new RetentionDuration(0, 0, p.Item3, 0) };

            var alone = RetentionPlanner.Plan(real, policy, Utc, Now).ToDictionary(d => d.Candidate.Id);
            var mixed = RetentionPlanner.Plan(real.Concat(future), policy, Utc, Now);
            foreach (var d in mixed)
            {
                if (d.Candidate.Id.StartsWith('f'))
                {
                    Assert.True(d.FutureDated);
                    Assert.Equal(d.Candidate.Verification == VerificationState.Failed ? RetentionAction.Remove : RetentionAction.Keep, d.Action);
                    continue;
                }
                Assert.False(d.FutureDated);
                Assert.Equal(alone[d.Candidate.Id].Action, d.Action);
                Assert.Equal(alone[d.Candidate.Id].Reasons, d.Reasons);
            }
        }, iter: 300);
    }

    // ---- rotation and the job: the planner's rule reaches the files ------------------------------------------------

    static int _seq;

    static BackupInfo B(DateTimeOffset created, bool? verified = true)
    {
        var m = new BackupManifest
        {
            Id = $"{Interlocked.Increment(ref _seq):x8}{Guid.NewGuid():N}"[..32],
            Database = "app",
            CreatedUtc = created.UtcDateTime,
            Type = BackupType.Automatic,
        };
        m.File = $"app_{m.Id[..8]}.db.zst";
        if (verified != null) m.Verifications.Add(new VerificationRecord { Passed = verified.Value, Level = VerificationLevel.Quick });
        return new BackupInfo(m, Path.Combine("/backups", m.File + BackupManifest.Suffix));
    }

    [Fact]
    public void Rotation_uses_this_machines_clock_when_no_now_is_given()
    {
        var now = DateTimeOffset.UtcNow;
        BackupInfo[] list = [B(now.AddYears(1)), B(now.AddHours(-1)), B(now.AddDays(-2))];
        var plan = BackupRotation.Plan(list, new RetentionPolicy { KeepWithin = RetentionDuration.Parse("7d") }, Utc);
        Assert.All(plan, d => Assert.Equal(RetentionAction.Keep, d.Action));
        Assert.Equal([true, false, false], plan.Select(d => d.FutureDated));
    }

    [Fact]
    public void The_job_removes_nothing_because_of_a_future_dated_backup_and_logs_a_warning_naming_it()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        File.WriteAllText(t["backup.json"], """{ "backup": { "databases": ["./app.db"], "weekly_restore_test": false, "retention_last": 2, "retention_days": 0, "retention_weeks": 0, "retention_months": 0 } }""");
        var config = BackupJobConfigFile.Load(t["backup.json"]);
        var logger = new BackupLogProvider(new JsonLinesLog(config.LogFile)).CreateLogger("job");
        var older = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = config.BackupDirectory, Type = BackupType.Automatic, Verify = VerificationLevel.Quick });
        var future = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = config.BackupDirectory, Type = BackupType.Automatic, Verify = VerificationLevel.Quick });
        // The clock was a year ahead for one run.
        future.Manifest.CreatedUtc = DateTime.UtcNow.AddYears(1);
        File.WriteAllBytes(future.ManifestPath, future.Manifest.ToJson());

        var result = Assert.Single(new BackupJob(logger).Run(config));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(0, result.Removed);
        Assert.Equal(3, new BackupCatalog().List(config.BackupDirectory).Count);
        var warning = Assert.Single(new JsonLinesLog(config.LogFile).Read(), e => e.Event == "FutureDatedBackup");
        Assert.Equal("Warning", warning.Level);
        Assert.Equal(future.Path, warning.Path);
        Assert.Equal("app", warning.Database);
        Assert.Contains(future.Manifest.CreatedUtc.ToString("yyyy-MM-dd HH:mm:ss"), warning.Message);
        Assert.Contains("correct it", warning.Message);
        Assert.Contains("Remove-SqliteBackup -Path", warning.Message);
        Assert.True(File.Exists(older.Path));
    }
}
