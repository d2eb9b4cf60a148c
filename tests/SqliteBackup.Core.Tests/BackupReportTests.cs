using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Reporting;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Scheduling;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests;

public class BackupReportTests
{
    static readonly DateTime Now = new(2026, 3, 31, 12, 0, 0, DateTimeKind.Utc);
    static int _seq;

    static BackupInfo B(string database, DateTime utc, BackupType type = BackupType.Automatic, bool? verified = true, long stored = 1000, long raw = 4096,
        string dir = "/backups", CompressionKind compression = CompressionKind.Zstd)
    {
        var m = new BackupManifest
        {
            Id = $"{Interlocked.Increment(ref _seq):x8}{Guid.NewGuid():N}"[..32],
            Database = database,
            CreatedUtc = utc,
            Type = type,
            StoredSize = stored,
            RawSize = raw,
            Compression = compression,
            DurationMs = 10,
        };
        m.File = $"x_{m.Id[..8]}.db.zst";
        if (verified != null) m.Verifications.Add(new VerificationRecord { Passed = verified.Value, Level = VerificationLevel.Standard, TimeUtc = utc });
        return new BackupInfo(m, Path.Combine(dir, m.File + BackupManifest.Suffix));
    }

    static BackupLogEntry L(string ev, DateTime utc, string? database = "app", string message = "m", string? error = null) =>
        new() { Time = utc, Level = ev.EndsWith("Failed") ? "Error" : "Information", Event = ev, Database = database, Message = message, Error = error };

    /// <summary>Ninety days of daily backups of app, a few of crm, a manual one, a failed verification; and a log with failures old and new.</summary>
    static (List<BackupInfo> Backups, List<BackupLogEntry> Log) History()
    {
        var backups = new List<BackupInfo>();
        for (int d = 0; d < 90; d++)
            backups.Add(B("app", Now.AddDays(-d).AddHours(-10), stored: 1000 + d * 37, raw: 8192 + d * 100, verified: d % 3 == 0 ? true : d == 5 ? false : null));
        backups.Add(B("app", Now.AddDays(-2).AddHours(-3), BackupType.Manual, stored: 5555, raw: 9999));
        for (int d = 0; d < 4; d++) backups.Add(B("crm", Now.AddDays(-7 * d).AddHours(-1), stored: 300_000 + d, raw: 1 << 20, compression: CompressionKind.Gzip));
        var log = new List<BackupLogEntry>
        {
            L("BackupSucceeded", Now.AddDays(-40)),
            L("BackupFailed", Now.AddDays(-40)),           // outside the 30 days: listed, not counted
            L("VerificationFailed", Now.AddDays(-5)),
            L("JobFailed", Now.AddDays(-1), database: null),
            L("RestoreTestFailed", Now.AddHours(-3), database: "crm"),
            L("RotationRemoved", Now.AddHours(-2)),
        };
        return (backups, log);
    }

    static BackupReportModel Model(IEnumerable<BackupInfo> backups, IEnumerable<BackupLogEntry> log, ReportSchedules? schedules = null, string? configPath = null) =>
        BackupReport.BuildModel(backups, log, RetentionPolicy.Default, TimeZoneInfo.Utc, Now, schedules, configPath: configPath);

    static Dictionary<string, string> DataStats(string html) =>
        Regex.Matches(html, "data-stat=\"([^\"]+)\" data-value=\"([^\"]*)\"").ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [Fact]
    public void Hostile_names_paths_and_messages_are_encoded_and_never_appear_raw()
    {
        const string evil = "<script>alert('x')</script>\"&<img src=x onerror=alert(1)>";
        var backups = new[]
        {
            B(evil, Now.AddDays(-1), dir: "/backups/" + evil.Replace('/', '_')),
            B(evil, Now, BackupType.Manual, dir: "/backups/" + evil.Replace('/', '_')),
        };
        var log = new[] { L("BackupFailed", Now, database: evil, message: "failed " + evil, error: "boom " + evil) };
        log[0].Path = "/srv/" + evil;
        var schedules = new ReportSchedules([new ReportSchedule(evil, SchedulerKind.Cron, "0 2 * * *", Now.AddHours(14), "pwsh -ConfigPath '/srv/" + evil + "'", "crontab")], "note " + evil);

        string html = BackupReport.Render(BackupReport.BuildModel(backups, log, RetentionPolicy.Default, TimeZoneInfo.Utc, Now, schedules,
            ["/backups/" + evil], "/srv/" + evil + "/backup.json"));

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(evil, html);
        Assert.DoesNotContain("onerror=alert(1)>", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;&lt;img src=x onerror=alert(1)&gt;", html);
        // Every opening tag in the page is one of ours.
        var tags = Regex.Matches(html, "<([a-zA-Z][a-zA-Z0-9]*)").Select(m => m.Groups[1].Value.ToLowerInvariant()).ToHashSet();
        Assert.Subset(new HashSet<string> { "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "time", "code", "section", "table", "thead", "tbody", "tr", "th", "td",
            "span", "svg", "line", "text", "g", "polyline", "circle", "ul", "li", "br", "footer" }, tags);
    }

    [Fact]
    public void The_page_is_self_contained_no_scripts_no_external_resources()
    {
        var (backups, log) = History();
        var schedules = ReportSchedules.Find("/srv/app/backup.json", () =>
            [new RegisteredSchedule("nightly", SchedulerKind.Cron, "0 2 * * *", "'/usr/bin/pwsh' '-File' '/m/Start-SqliteBackupJob.ps1' '-ConfigPath' '/srv/app/backup.json'", "crontab")]);
        string html = BackupReport.Render(Model(backups, log, schedules, "/srv/app/backup.json"));

        foreach (var external in new[] { "http://", "https://", "src=", "href=", "<script", "<link", "<iframe", "<object", "<embed", "@import", "url(", "xlink:" })
            Assert.DoesNotContain(external, html, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">", html);
        Assert.Single(Regex.Matches(html, "<svg id=\"size-chart\""));
        Assert.Single(Regex.Matches(html, "<svg id=\"retention-timeline\""));
    }

    [Fact]
    public void The_data_stat_numbers_are_exactly_BackupStatistics_of_the_same_input()
    {
        var (backups, log) = History();
        var expected = BackupStatistics.Compute(backups, log, Now);
        var stats = DataStats(BackupReport.Render(Model(backups, log)));

        Assert.Equal(expected.Count, int.Parse(stats["count"], CultureInfo.InvariantCulture));
        Assert.Equal(expected.TotalStoredSize, long.Parse(stats["total-stored-size"], CultureInfo.InvariantCulture));
        Assert.Equal(expected.TotalRawSize, long.Parse(stats["total-raw-size"], CultureInfo.InvariantCulture));
        Assert.Equal(expected.Oldest!.Value.ToUniversalTime(), DateTime.Parse(stats["oldest"], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
        Assert.Equal(expected.Newest!.Value.ToUniversalTime(), DateTime.Parse(stats["newest"], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
        Assert.Equal(expected.VerifiedShare!.Value, double.Parse(stats["verified-share"], CultureInfo.InvariantCulture));
        Assert.Equal(expected.FailuresLast30Days, int.Parse(stats["failures-last-30-days"], CultureInfo.InvariantCulture));
        // Sanity of the fixture itself: these are not all zero.
        Assert.Equal(95, expected.Count);
        Assert.Equal(3, expected.FailuresLast30Days);
    }

    [Fact]
    public void An_empty_history_renders_with_empty_statistics()
    {
        string html = BackupReport.Render(Model([], []));
        var stats = DataStats(html);
        Assert.Equal("0", stats["count"]);
        Assert.Equal("0", stats["total-stored-size"]);
        Assert.Equal("", stats["oldest"]);
        Assert.Equal("", stats["verified-share"]);
        Assert.Contains("No backups to chart.", html);
        Assert.Contains(ReportSchedules.NoConfigurationNote, html);
        Assert.Contains("No failures in the backup log.", html);
    }

    [Fact]
    public void The_retention_timeline_labels_daily_weekly_monthly_and_manual_as_the_planner_decided()
    {
        var (backups, _) = History();
        var html = BackupReport.Render(Model(backups, []));
        var plan = BackupRotation.Plan(backups, RetentionPolicy.Default, TimeZoneInfo.Utc);
        var rows = Regex.Matches(html, "<tr class=\"decision action-(\\w+)\" data-backup-id=\"([^\"]+)\" data-action=\"(\\w+)\" data-keep=\"([^\"]*)\">.*?<td class=\"reasons\">([^<]*)</td></tr>")
            .ToDictionary(m => m.Groups[2].Value, m => (Action: m.Groups[3].Value, Keep: m.Groups[4].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries), Reasons: WebUtility.HtmlDecode(m.Groups[5].Value)));

        Assert.Equal(plan.Count, rows.Count);
        foreach (var d in plan)
        {
            var row = rows[d.Backup.Id];
            Assert.Equal(d.Action.ToString(), row.Action);
            Assert.Equal(string.Join(", ", d.Reasons), row.Reasons);
            foreach (var label in new[] { "daily", "weekly", "monthly" })
                Assert.True((d.Action == RetentionAction.Keep && d.Reasons.Any(r => r.Contains(label + " snapshot"))) == row.Keep.Contains(label), $"{d}: '{label}' vs [{string.Join(" ", row.Keep)}]");
            Assert.Equal(d.Reasons.Contains("manual"), row.Keep.Contains("manual"));
            if (d.Action == RetentionAction.Remove) Assert.Empty(row.Keep);
        }
        // The fixture exercises every label and both actions.
        Assert.Contains(rows.Values, r => r.Keep.Contains("manual"));
        Assert.Contains(rows.Values, r => r.Keep.Contains("monthly") && !r.Keep.Contains("daily"));
        Assert.Contains(rows.Values, r => r.Keep.Contains("weekly") && !r.Keep.Contains("daily"));
        Assert.Contains(rows.Values, r => r.Keep.SequenceEqual(["daily"]));
        Assert.Contains(rows.Values, r => r.Action == "Remove");
        // The timeline's marks: one per backup, removed ones as rings.
        Assert.Equal(plan.Count, Regex.Matches(html, "<circle class=\"mark ").Count);
        Assert.Equal(plan.Count(d => d.Action == RetentionAction.Remove), Regex.Matches(html, "<circle class=\"mark remove\"").Count);
    }

    [Fact]
    public void The_history_table_has_every_backup_with_exact_bytes_newest_first()
    {
        var (backups, log) = History();
        string html = BackupReport.Render(Model(backups, log));
        var rows = Regex.Matches(html, "<tr class=\"backup\" data-backup-id=\"([^\"]+)\".*?data-bytes=\"(\\d+)\">([^<]+)</td><td class=\"num raw-size\" data-bytes=\"(\\d+)\"")
            .Select(m => (Id: m.Groups[1].Value, Stored: long.Parse(m.Groups[2].Value), Text: m.Groups[3].Value, Raw: long.Parse(m.Groups[4].Value))).ToList();
        var expected = backups.OrderByDescending(b => b.CreatedUtc).ToList();
        Assert.Equal(expected.Select(b => b.Id), rows.Select(r => r.Id));
        Assert.Equal(expected.Select(b => b.StoredSize), rows.Select(r => r.Stored));
        Assert.Equal(expected.Select(b => b.RawSize), rows.Select(r => r.Raw));
        Assert.Equal(expected.Select(b => HumanSize.Format(b.StoredSize)), rows.Select(r => r.Text));
        Assert.Contains("<td data-verified=\"failed\" class=\"failed\">FAILED</td>", html);
        Assert.Contains($"<code title=\"{expected[0].Id}\">{expected[0].Id[..8]}</code>", html);
    }

    [Fact]
    public void The_chart_has_one_line_per_database_with_a_point_per_backup()
    {
        var (backups, log) = History();
        string html = BackupReport.Render(Model(backups, log));
        var series = Regex.Matches(html, "<g class=\"series\" data-database=\"([^\"]+)\">\\s*<polyline [^>]*points=\"([^\"]+)\"").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Split(' '));
        Assert.Equal(["app", "crm"], series.Keys.Order());
        Assert.Equal(91, series["app"].Length);
        Assert.Equal(4, series["crm"].Length);
        // Points go left to right in time, and the largest backup is the highest point (smallest y).
        var xs = series["app"].Select(p => double.Parse(p.Split(',')[0], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(xs.Order(), xs);
        var crmY = series["crm"].Select(p => double.Parse(p.Split(',')[1], CultureInfo.InvariantCulture)).Min();
        Assert.True(series["app"].All(p => double.Parse(p.Split(',')[1], CultureInfo.InvariantCulture) > crmY));
        Assert.Contains("class=\"y-tick\"", html);
        Assert.Contains("class=\"x-tick\"", html);
        Assert.Contains(">Stored size</text>", html);
    }

    [Fact]
    public void Failures_are_the_last_twenty_failure_events_newest_first()
    {
        var log = new List<BackupLogEntry>();
        for (int i = 0; i < 30; i++)
        {
            log.Add(L(i % 2 == 0 ? "BackupFailed" : "VerificationFailed", Now.AddHours(-100 + i), message: $"failure {i:00}"));
            log.Add(L("BackupSucceeded", Now.AddHours(-100 + i), message: $"ok {i:00}"));
        }
        var model = Model([], log);
        Assert.Equal(Enumerable.Range(10, 20).Reverse().Select(i => $"failure {i:00}"), model.Failures.Select(f => f.Message));
        string html = BackupReport.Render(model);
        Assert.Equal(20, Regex.Matches(html, "<tr class=\"failure\"").Count);
        Assert.DoesNotContain("failure 09", html);
        Assert.DoesNotContain("ok 29", html);
    }

    [Fact]
    public void Schedules_are_those_running_the_configuration_and_a_broken_scheduler_is_only_a_note()
    {
        var list = new RegisteredSchedule[]
        {
            new("nightly", SchedulerKind.Cron, "0 2 * * *", "'/usr/bin/pwsh' '-ConfigPath' '/srv/app/backup.json'", "crontab"),
            new("other", SchedulerKind.Cron, "0 3 * * *", "'/usr/bin/pwsh' '-ConfigPath' '/srv/crm/backup.json'", "crontab"),
        };
        var found = ReportSchedules.Find("/srv/app/backup.json", () => list);
        var s = Assert.Single(found.Schedules);
        Assert.Equal("nightly", s.Name);
        Assert.Equal(list[0].NextRun, s.NextRun);
        Assert.NotNull(s.NextRun);
        Assert.Null(found.Error);
        string html = BackupReport.Render(Model([], [], found, "/srv/app/backup.json"));
        Assert.Contains("<tr data-schedule=\"nightly\">", html);
        Assert.Contains($"<time datetime=\"{s.NextRun!.Value.UtcDateTime:o}\">", html);
        Assert.DoesNotContain("data-schedule=\"other\"", html);

        var none = ReportSchedules.Find("/srv/nothing.json", () => list);
        Assert.Empty(none.Schedules);
        Assert.Contains("No schedule registered for /srv/nothing.json", none.Note);

        var broken = ReportSchedules.Find("/srv/app/backup.json", () => throw new SqliteBackupException("SchedulerNotAvailable", BackupErrorCategory.ResourceUnavailable, "'crontab' could not be started", "Install cron."));
        Assert.Empty(broken.Schedules);
        Assert.Contains("'crontab' could not be started", broken.Error);
        Assert.Contains("could not be read", broken.Note);
        Assert.Contains("could not be read", BackupReport.Render(Model([], [], broken)));

        Assert.Same(ReportSchedules.Unknown, ReportSchedules.Find(null, () => throw new InvalidOperationException("never called")));
    }

    [Fact]
    public void Render_is_a_pure_function_of_the_model_and_Write_replaces_the_file_atomically()
    {
        var (backups, log) = History();
        var model = Model(backups, log);
        string html = BackupReport.Render(model);
        Assert.Equal(html, BackupReport.Render(model));

        using var t = new TempDir();
        File.WriteAllText(t["report.html"], "old");
        BackupReport.Write(t["report.html"], html);
        Assert.Equal(html, File.ReadAllText(t["report.html"]));
        Assert.Equal(["report.html"], Directory.GetFiles(t.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_check_that_could_not_run_is_shown_as_inconclusive_and_never_listed_or_counted_as_a_failure()
    {
        var b = B("app", Now.AddHours(-5), verified: null);
        b.Manifest.Verifications.Add(new VerificationRecord { Outcome = VerificationOutcome.Inconclusive, Passed = null, Level = VerificationLevel.Standard, TimeUtc = Now });
        var log = new List<BackupLogEntry> { L("VerificationInconclusive", Now.AddHours(-1)), L("RestoreTestInconclusive", Now.AddHours(-1)) };
        var model = Model([b], log);
        string html = BackupReport.Render(model);
        Assert.Empty(model.Failures);
        Assert.Contains("data-verified=\"inconclusive\"", html);
        Assert.DoesNotContain("FAILED", html);
        var stats = DataStats(html);
        Assert.Equal("0", stats["failures-last-30-days"]);
        Assert.Equal("1", stats["inconclusive"]);
    }

    [Fact]
    public void The_same_backup_given_twice_is_reported_once()
    {
        var b = B("app", Now);
        var model = Model([b, b], []);
        Assert.Single(model.Backups);
        Assert.Equal(1, model.Statistics.Count);
        Assert.Single(model.Retention);
    }
}
