using System.Globalization;
using System.Net;
using System.Text;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Reporting;

/// <summary>
/// The backup report: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched, so it works offline
/// and from a mail attachment) with the history, a size chart, what the retention policy keeps, the schedule, the
/// latest failures and the summary numbers. <see cref="BuildModel"/> gathers and decides, <see cref="Render"/> only
/// formats: it is a pure function of the model. Every text that comes from a user (database names, paths, messages)
/// is HTML-encoded.
/// </summary>
public static class BackupReport
{
    /// <summary>How many failure events of the backup log the report lists.</summary>
    public const int MaxFailures = 20;

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Colours of the chart's lines, one per database in turn.</summary>
    static readonly string[] Palette = ["#1f6fb4", "#d0402b", "#2a9d3c", "#8a4fbf", "#e07b00", "#138d9c", "#8c564b", "#c2477f"];

    /// <summary>
    /// The report of <paramref name="backups"/> (each once, by id) and <paramref name="log"/>: statistics as
    /// <see cref="BackupStatistics.Compute"/> gives them, the rotation plan of <paramref name="policy"/> in
    /// <paramref name="zone"/> (as a job would decide it, nothing removed), and the last <see cref="MaxFailures"/>
    /// failure events of the log.
    /// </summary>
    /// <param name="repositories">The incremental repositories at the locations (<see cref="RepositoryUsage.MeasureAll"/>): each one's size counted once.</param>
    public static BackupReportModel BuildModel(IEnumerable<BackupInfo> backups, IEnumerable<BackupLogEntry> log, RetentionPolicy policy,
        TimeZoneInfo zone, DateTime utcNow, ReportSchedules? schedules = null, IReadOnlyList<string>? backupDirectories = null, string? configPath = null,
        IReadOnlyList<RepositoryUsage>? repositories = null)
    {
        ArgumentNullException.ThrowIfNull(backups);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(zone);
        utcNow = Utc(utcNow);
        var unique = backups.DistinctBy(b => b.Id, StringComparer.Ordinal)
            .OrderByDescending(b => b.CreatedUtc).ThenBy(b => b.Id, StringComparer.Ordinal).ToList();
        var entries = log.ToList();
        // Log order is time order within one file; several logs are merged by time (a stable sort keeps ties in file order).
        var failures = entries.Where(e => BackupStatistics.FailureEvents.Contains(e.Event))
            .OrderBy(e => Utc(e.Time)).TakeLast(MaxFailures).Reverse().ToList();
        return new BackupReportModel
        {
            GeneratedUtc = utcNow,
            Zone = zone,
            BackupDirectories = backupDirectories ?? unique.Select(b => b.Directory).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            ConfigPath = configPath,
            Backups = unique,
            Statistics = BackupStatistics.Compute(unique, entries, utcNow, repositories: repositories),
            Policy = policy,
            Retention = BackupRotation.Plan(unique, policy, zone, now: new DateTimeOffset(utcNow)),
            Failures = failures,
            Schedules = schedules ?? ReportSchedules.Unknown,
        };
    }

    /// <summary>Writes <paramref name="html"/> as UTF-8, atomically: the file at <paramref name="path"/> is the old report or the new one, never half of one.</summary>
    public static void Write(string path, string html) => AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(html), overwrite: true);

    /// <summary>The page. A pure function of <paramref name="model"/>: same model, same bytes.</summary>
    public static string Render(BackupReportModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var h = new StringBuilder(16 * 1024);
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        // Belt and braces for "works offline, fetches nothing": the page itself forbids every load and every script.
        h.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append("<meta name=\"generator\" content=\"SqliteBackup Export-SqliteBackupReport\">\n");
        h.Append("<title>SQLite backup report</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");
        Header(h, model);
        Summary(h, model);
        Chart(h, model);
        RetentionSection(h, model);
        ScheduleSection(h, model);
        FailureSection(h, model);
        History(h, model);
        h.Append("<footer>Self-contained report: no scripts and no external resources. Times are shown in ")
            .Append(E(model.Zone.Id)).Append(".</footer>\n</body>\n</html>\n");
        return h.ToString();
    }

    const string Css = """
        :root { --fg: #1d2430; --muted: #5b6575; --line: #d8dde5; --band: #f4f6f9; --keep: #2a9d3c; --remove: #c0392b; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; color: var(--fg); margin: 24px auto; max-width: 1180px; padding: 0 16px; }
        h1 { font-size: 24px; margin: 0 0 4px; }
        h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
        .meta { color: var(--muted); margin: 0; }
        .meta code, td code { font-size: 12px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { background: var(--band); font-weight: 600; white-space: nowrap; }
        tbody tr:nth-child(even) { background: #fafbfc; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        td.when { white-space: nowrap; font-variant-numeric: tabular-nums; }
        table.summary { width: auto; min-width: 480px; }
        table.summary th { font-weight: 600; width: 220px; }
        .bytes { color: var(--muted); font-size: 12px; }
        .empty, .note { color: var(--muted); font-style: italic; }
        .failed { color: var(--remove); font-weight: 600; }
        .never { color: var(--muted); }
        .badge { display: inline-block; padding: 0 6px; margin: 0 3px 2px 0; border-radius: 9px; font-size: 12px; color: #fff; background: #6b7685; }
        .k-manual { background: #7b3fb0; } .k-premigration, .k-prerestore { background: #a05a2c; } .k-yearly { background: #0b4f71; }
        .k-monthly { background: #1f6fb4; } .k-weekly { background: #138d9c; } .k-daily { background: #2a9d3c; } .k-hourly { background: #7aa63a; }
        .k-remove { background: var(--remove); }
        .action-Remove td { color: var(--remove); }
        td.kept-as { white-space: nowrap; }
        .legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
        .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
        svg { display: block; width: 100%; height: auto; }
        svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; fill: var(--muted); }
        svg .grid { stroke: #e6e9ee; stroke-width: 1; }
        svg .axis { stroke: #8a93a3; stroke-width: 1; }
        svg .lane-line { stroke: #d8dde5; stroke-width: 1; }
        svg .lane-label { fill: var(--fg); font-size: 12px; }
        footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
        @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }

        """;

    static void Header(StringBuilder h, BackupReportModel m)
    {
        h.Append("<header>\n<h1>SQLite backup report</h1>\n");
        h.Append("<p class=\"meta\">Generated <time id=\"generated\" datetime=\"").Append(Iso(m.GeneratedUtc)).Append("\">")
            .Append(E(Local(m.GeneratedUtc, m.Zone))).Append("</time> (").Append(E(m.Zone.Id)).Append(")</p>\n");
        h.Append("<p class=\"meta\">Backup ").Append(m.BackupDirectories.Count == 1 ? "directory" : "directories").Append(": ");
        if (m.BackupDirectories.Count == 0) h.Append("none");
        h.AppendJoin(", ", m.BackupDirectories.Select(d => "<code class=\"directory\">" + E(d) + "</code>"));
        h.Append("</p>\n");
        if (m.ConfigPath != null) h.Append("<p class=\"meta\">Configuration: <code id=\"config-path\">").Append(E(m.ConfigPath)).Append("</code></p>\n");
        h.Append("</header>\n");
    }

    static void Summary(StringBuilder h, BackupReportModel m)
    {
        var s = m.Statistics;
        h.Append("<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"summary\">\n<tbody>\n");
        void Row(string label, string stat, string value, string text) =>
            h.Append("<tr><th scope=\"row\">").Append(E(label)).Append("</th><td data-stat=\"").Append(stat).Append("\" data-value=\"")
                .Append(E(value)).Append("\">").Append(text).Append("</td></tr>\n");
        string Size(long bytes) => E(HumanSize.Format(bytes)) + " <span class=\"bytes\">(" + bytes.ToString("N0", Inv) + " bytes)</span>";
        string When(DateTime? utc) => utc is { } t ? E(Local(t.ToUniversalTime(), m.Zone)) : "<span class=\"never\">none</span>";

        Row("Backups", "count", s.Count.ToString(Inv), s.Count.ToString(Inv));
        Row("Total stored size", "total-stored-size", s.TotalStoredSize.ToString(Inv), Size(s.TotalStoredSize));
        Row("Total raw size", "total-raw-size", s.TotalRawSize.ToString(Inv), Size(s.TotalRawSize));
        if (s.RepositoryStoredSize is { } repository)
        {
            // A snapshot's stored size counts the blocks it shares; the repository is counted once, in the total above too.
            Row("Snapshots (incremental)", "snapshots", s.Snapshots.ToString(Inv), s.Snapshots.ToString(Inv));
            Row("Repository stored size (counted once)", "repository-stored-size", repository.ToString(Inv), Size(repository));
            Row("Snapshots' logical size", "logical-size", (s.LogicalSize ?? 0).ToString(Inv), Size(s.LogicalSize ?? 0));
            if (s.DedupRatio is { } ratio) Row("Deduplication ratio", "dedup-ratio", ratio.ToString("R", Inv), E($"{ratio:0.00}x"));
        }
        Row("Oldest", "oldest", s.Oldest is { } o ? Iso(o.ToUniversalTime()) : "", When(s.Oldest));
        Row("Newest", "newest", s.Newest is { } n ? Iso(n.ToUniversalTime()) : "", When(s.Newest));
        int verified = m.Backups.Count(b => b.Verified == true);
        Row("Verified (latest check passed)", "verified-share", s.VerifiedShare is { } v ? v.ToString("R", Inv) : "",
            s.VerifiedShare is { } share ? E($"{share * 100:0} % ({verified} of {s.Count})") : "<span class=\"never\">no backups</span>");
        Row("Latest check could not run (inconclusive, not failed)", "inconclusive", s.Inconclusive.ToString(Inv), s.Inconclusive.ToString(Inv));
        Row($"Failures in the last {BackupStatistics.FailureWindow.TotalDays:0} days", "failures-last-30-days", s.FailuresLast30Days.ToString(Inv),
            s.FailuresLast30Days.ToString(Inv));
        string Counts<TKey>(IReadOnlyDictionary<TKey, int> d) where TKey : notnull =>
            d.Count == 0 ? "<span class=\"never\">none</span>" : string.Join(", ", d.Select(kv => E($"{kv.Key} {kv.Value}")));
        h.Append("<tr><th scope=\"row\">By type</th><td data-stat=\"by-type\">").Append(Counts(s.ByType)).Append("</td></tr>\n");
        h.Append("<tr><th scope=\"row\">By database</th><td data-stat=\"by-database\">").Append(Counts(s.ByDatabase)).Append("</td></tr>\n");
        h.Append("</tbody>\n</table>\n</section>\n");
    }

    // ---- size over time -------------------------------------------------------------------------------------------

    const int ChartWidth = 1000, ChartHeight = 360, Left = 84, Right = 44, Top = 16, Bottom = 58;

    static void Chart(StringBuilder h, BackupReportModel m)
    {
        h.Append("<section id=\"size\">\n<h2>Stored size over time</h2>\n");
        if (m.Backups.Count == 0)
        {
            h.Append("<p class=\"empty\">No backups to chart.</p>\n</section>\n");
            return;
        }
        var (t0, t1) = TimeRange(m.Backups);
        long max = Math.Max(1, m.Backups.Max(b => b.StoredSize));
        long step = NiceStep(max / 4.0);
        long yMax = step * (long)Math.Ceiling(max / (double)step);
        const int pw = ChartWidth - Left - Right, ph = ChartHeight - Top - Bottom;
        double X(DateTime utc) => Left + (utc.Ticks - t0.Ticks) / (double)(t1.Ticks - t0.Ticks) * pw;
        double Y(long v) => Top + ph - v / (double)yMax * ph;

        h.Append("<svg id=\"size-chart\" role=\"img\" aria-labelledby=\"size-chart-title\" viewBox=\"0 0 ").Append(ChartWidth).Append(' ').Append(ChartHeight)
            .Append("\" width=\"").Append(ChartWidth).Append("\" height=\"").Append(ChartHeight).Append("\">\n");
        h.Append("<title id=\"size-chart-title\">Stored size of each backup over its creation time, one line per database</title>\n");
        // y axis: grid lines and size labels
        for (long v = 0; v <= yMax; v += step)
        {
            string y = F(Y(v));
            h.Append("<line class=\"grid\" x1=\"").Append(Left).Append("\" x2=\"").Append(Left + pw).Append("\" y1=\"").Append(y).Append("\" y2=\"").Append(y).Append("\"/>");
            h.Append("<text class=\"y-tick\" x=\"").Append(Left - 8).Append("\" y=\"").Append(y).Append("\" dy=\"4\" text-anchor=\"end\">")
                .Append(E(HumanSize.Format(v))).Append("</text>\n");
        }
        // x axis: five dates
        string xFormat = t1 - t0 > TimeSpan.FromDays(3) ? "yyyy-MM-dd" : "MM-dd HH:mm";
        for (int i = 0; i <= 4; i++)
        {
            var t = new DateTime(t0.Ticks + (t1.Ticks - t0.Ticks) / 4 * i, DateTimeKind.Utc);
            string x = F(X(t));
            h.Append("<line class=\"axis\" x1=\"").Append(x).Append("\" x2=\"").Append(x).Append("\" y1=\"").Append(Top + ph).Append("\" y2=\"").Append(Top + ph + 5).Append("\"/>");
            h.Append("<text class=\"x-tick\" x=\"").Append(x).Append("\" y=\"").Append(Top + ph + 18).Append("\" text-anchor=\"middle\">")
                .Append(E(TimeZoneInfo.ConvertTimeFromUtc(t, m.Zone).ToString(xFormat, Inv))).Append("</text>\n");
        }
        h.Append("<line class=\"axis\" x1=\"").Append(Left).Append("\" x2=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" y2=\"").Append(Top + ph).Append("\"/>");
        h.Append("<line class=\"axis\" x1=\"").Append(Left).Append("\" x2=\"").Append(Left + pw).Append("\" y1=\"").Append(Top + ph).Append("\" y2=\"").Append(Top + ph).Append("\"/>\n");
        h.Append("<text class=\"axis-label\" x=\"").Append(Left + pw / 2).Append("\" y=\"").Append(ChartHeight - 8).Append("\" text-anchor=\"middle\">Created (")
            .Append(E(m.Zone.Id)).Append(")</text>\n");
        h.Append("<text class=\"axis-label\" transform=\"translate(16 ").Append(Top + ph / 2).Append(") rotate(-90)\" text-anchor=\"middle\">Stored size</text>\n");

        var databases = Databases(m.Backups);
        for (int i = 0; i < databases.Count; i++)
        {
            string db = databases[i], colour = Palette[i % Palette.Length];
            var points = m.Backups.Where(b => b.Database == db).OrderBy(b => b.CreatedUtc).ToList();
            h.Append("<g class=\"series\" data-database=\"").Append(E(db)).Append("\">\n");
            h.Append("<polyline fill=\"none\" stroke=\"").Append(colour).Append("\" stroke-width=\"2\" points=\"")
                .AppendJoin(' ', points.Select(b => F(X(b.CreatedUtc)) + "," + F(Y(b.StoredSize)))).Append("\"/>\n");
            foreach (var b in points)
            {
                h.Append("<circle cx=\"").Append(F(X(b.CreatedUtc))).Append("\" cy=\"").Append(F(Y(b.StoredSize))).Append("\" r=\"3.5\" fill=\"").Append(colour)
                    .Append("\" data-backup-id=\"").Append(E(b.Id)).Append("\"><title>")
                    .Append(E($"{b.Database}, {Local(b.CreatedUtc, m.Zone)}: {HumanSize.Format(b.StoredSize)} ({b.Type})")).Append("</title></circle>\n");
            }
            h.Append("</g>\n");
        }
        h.Append("</svg>\n<ul class=\"legend\" id=\"size-legend\">\n");
        for (int i = 0; i < databases.Count; i++)
            h.Append("<li data-database=\"").Append(E(databases[i])).Append("\"><span class=\"swatch\" style=\"background:").Append(Palette[i % Palette.Length])
                .Append("\"></span>").Append(E(databases[i])).Append("</li>\n");
        h.Append("</ul>\n</section>\n");
    }

    /// <summary>A step of 1, 2 or 5 times a power of ten of a binary unit (B, KB, MB...), so tick labels come out round.</summary>
    internal static long NiceStep(double raw)
    {
        if (raw <= 1) return 1;
        long unit = 1;
        while (unit <= long.MaxValue / 1024 && raw >= unit * 1024L) unit *= 1024;
        double inUnit = raw / unit;
        double pow = Math.Pow(10, Math.Floor(Math.Log10(inUnit)));
        double nice = inUnit / pow <= 1 ? 1 : inUnit / pow <= 2 ? 2 : inUnit / pow <= 5 ? 5 : 10;
        // 1000 of a unit is shown as the next unit: step by one of those instead (1 KB, not 1000 B).
        return nice * pow >= 1000 ? unit * 1024 : Math.Max(1, (long)(nice * pow * unit));
    }

    static (DateTime From, DateTime To) TimeRange(IReadOnlyList<BackupInfo> backups)
    {
        var t0 = backups.Min(b => b.CreatedUtc);
        var t1 = backups.Max(b => b.CreatedUtc);
        if (t1 - t0 < TimeSpan.FromMinutes(2)) { t0 = t0.AddHours(-12); t1 = t1.AddHours(12); }
        else
        {
            // A little air on both sides, so the first and last points are not drawn on the axes.
            var pad = TimeSpan.FromTicks((t1 - t0).Ticks / 40);
            t0 -= pad;
            t1 += pad;
        }
        return (DateTime.SpecifyKind(t0, DateTimeKind.Utc), DateTime.SpecifyKind(t1, DateTimeKind.Utc));
    }

    static List<string> Databases(IEnumerable<BackupInfo> backups) => backups.Select(b => b.Database).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    // ---- retention ------------------------------------------------------------------------------------------------

    static void RetentionSection(StringBuilder h, BackupReportModel m)
    {
        h.Append("<section id=\"retention\">\n<h2>Retention</h2>\n");
        int keep = m.Retention.Count(d => d.Action == RetentionAction.Keep), remove = m.Retention.Count - keep;
        h.Append("<p>Policy: <span id=\"retention-policy\">").Append(E(m.Policy.ToString())).Append("</span>; buckets in ").Append(E(m.Zone.Id))
            .Append(". Manual, PreRestore and PreMigration backups are never removed and never counted. ")
            .Append("The next rotation keeps <span data-stat=\"retention-keep\" data-value=\"").Append(keep).Append("\">").Append(keep).Append("</span> and removes ")
            .Append("<span data-stat=\"retention-remove\" data-value=\"").Append(remove).Append("\">").Append(remove).Append("</span>. Nothing is removed by this report.</p>\n");
        if (m.Retention.Count == 0)
        {
            h.Append("<p class=\"empty\">No backups.</p>\n</section>\n");
            return;
        }
        TimelineSvg(h, m);
        h.Append("<table id=\"retention-table\">\n<thead><tr><th>Created</th><th>Database</th><th>Type</th><th>Decision</th><th>Kept as</th><th>Reasons</th></tr></thead>\n<tbody>\n");
        foreach (var d in m.Retention.OrderBy(d => d.Database, StringComparer.Ordinal).ThenByDescending(d => d.Backup.CreatedUtc).ThenBy(d => d.Backup.Id, StringComparer.Ordinal))
        {
            var categories = d.KeptAs;
            h.Append("<tr class=\"decision action-").Append(d.Action).Append("\" data-backup-id=\"").Append(E(d.Backup.Id)).Append("\" data-action=\"").Append(d.Action)
                .Append("\" data-keep=\"").Append(string.Join(' ', categories)).Append("\">");
            h.Append("<td class=\"when\">").Append(Time(d.Backup.CreatedUtc, m.Zone)).Append("</td>");
            h.Append("<td>").Append(E(d.Database)).Append("</td><td>").Append(d.Type).Append("</td><td>").Append(d.Action).Append("</td><td class=\"kept-as\">");
            if (d.Action == RetentionAction.Remove) h.Append("<span class=\"badge k-remove\">remove</span>");
            foreach (var c in categories) h.Append("<span class=\"badge k-").Append(c).Append("\">").Append(c).Append("</span>");
            h.Append("</td><td class=\"reasons\">").Append(E(string.Join(", ", d.Reasons))).Append("</td></tr>\n");
        }
        h.Append("</tbody>\n</table>\n</section>\n");
    }

    static readonly Dictionary<string, string> CategoryColours = new(StringComparer.Ordinal)
    {
        ["manual"] = "#7b3fb0", ["premigration"] = "#a05a2c", ["prerestore"] = "#a05a2c", ["yearly"] = "#0b4f71", ["monthly"] = "#1f6fb4",
        ["weekly"] = "#138d9c", ["daily"] = "#2a9d3c", ["hourly"] = "#7aa63a",
    };

    const int LaneHeight = 30, LaneLabel = 180;

    /// <summary>One lane per database, each backup a mark at its creation time coloured by what keeps it (a red ring: removed).</summary>
    static void TimelineSvg(StringBuilder h, BackupReportModel m)
    {
        var databases = Databases(m.Retention.Select(d => d.Backup));
        var (t0, t1) = TimeRange(m.Retention.Select(d => d.Backup).ToList());
        int height = databases.Count * LaneHeight + 34;
        const int pw = ChartWidth - LaneLabel - Right;
        double X(DateTime utc) => LaneLabel + (utc.Ticks - t0.Ticks) / (double)(t1.Ticks - t0.Ticks) * pw;
        h.Append("<svg id=\"retention-timeline\" role=\"img\" aria-labelledby=\"retention-timeline-title\" viewBox=\"0 0 ").Append(ChartWidth).Append(' ').Append(height)
            .Append("\" width=\"").Append(ChartWidth).Append("\" height=\"").Append(height).Append("\">\n");
        h.Append("<title id=\"retention-timeline-title\">What the retention policy keeps, per database over time</title>\n");
        for (int i = 0; i < databases.Count; i++)
        {
            string db = databases[i];
            int y = i * LaneHeight + LaneHeight / 2 + 4;
            string label = db.Length > 26 ? db[..25] + "…" : db;
            h.Append("<g class=\"lane\" data-database=\"").Append(E(db)).Append("\">\n<text class=\"lane-label\" x=\"0\" y=\"").Append(y).Append("\" dy=\"4\"><title>").Append(E(db)).Append("</title>")
                .Append(E(label)).Append("</text>");
            h.Append("<line class=\"lane-line\" x1=\"").Append(LaneLabel).Append("\" x2=\"").Append(LaneLabel + pw).Append("\" y1=\"").Append(y).Append("\" y2=\"").Append(y).Append("\"/>\n");
            foreach (var d in m.Retention.Where(d => d.Database == db).OrderBy(d => d.Backup.CreatedUtc))
            {
                string cx = F(X(d.Backup.CreatedUtc));
                string tip = E($"{Local(d.Backup.CreatedUtc, m.Zone)} {d.Type}: {d.Action}" + (d.Reasons.Count > 0 ? " (" + string.Join(", ", d.Reasons) + ")" : ""));
                if (d.Action == RetentionAction.Remove)
                {
                    h.Append("<circle class=\"mark remove\" cx=\"").Append(cx).Append("\" cy=\"").Append(y).Append("\" r=\"5\" fill=\"#fff\" stroke=\"#c0392b\" stroke-width=\"2\" data-backup-id=\"")
                        .Append(E(d.Backup.Id)).Append("\"><title>").Append(tip).Append("</title></circle>\n");
                    continue;
                }
                string first = d.KeptAs.FirstOrDefault() ?? "other";
                string colour = CategoryColours.GetValueOrDefault(first, "#6b7685");
                h.Append("<circle class=\"mark keep k-").Append(first).Append("\" cx=\"").Append(cx).Append("\" cy=\"").Append(y).Append("\" r=\"6\" fill=\"").Append(colour)
                    .Append("\" data-backup-id=\"").Append(E(d.Backup.Id)).Append("\"><title>").Append(tip).Append("</title></circle>\n");
            }
            h.Append("</g>\n");
        }
        int axisY = databases.Count * LaneHeight + 8;
        string xFormat = t1 - t0 > TimeSpan.FromDays(3) ? "yyyy-MM-dd" : "MM-dd HH:mm";
        h.Append("<line class=\"axis\" x1=\"").Append(LaneLabel).Append("\" x2=\"").Append(LaneLabel + pw).Append("\" y1=\"").Append(axisY).Append("\" y2=\"").Append(axisY).Append("\"/>\n");
        for (int i = 0; i <= 4; i++)
        {
            var t = new DateTime(t0.Ticks + (t1.Ticks - t0.Ticks) / 4 * i, DateTimeKind.Utc);
            h.Append("<text class=\"x-tick\" x=\"").Append(F(X(t))).Append("\" y=\"").Append(axisY + 18).Append("\" text-anchor=\"middle\">")
                .Append(E(TimeZoneInfo.ConvertTimeFromUtc(t, m.Zone).ToString(xFormat, Inv))).Append("</text>\n");
        }
        h.Append("</svg>\n<ul class=\"legend\" id=\"retention-legend\">");
        foreach (var (name, colour) in new[] { ("manual", "#7b3fb0"), ("monthly", "#1f6fb4"), ("weekly", "#138d9c"), ("daily", "#2a9d3c"), ("other rule", "#6b7685") })
            h.Append("<li><span class=\"swatch\" style=\"background:").Append(colour).Append("\"></span>kept: ").Append(name).Append("</li>");
        h.Append("<li><span class=\"swatch\" style=\"background:#fff;border:2px solid #c0392b\"></span>removed by the next rotation</li></ul>\n");
    }

    // ---- schedule, failures, history --------------------------------------------------------------------------------

    static void ScheduleSection(StringBuilder h, BackupReportModel m)
    {
        var s = m.Schedules;
        h.Append("<section id=\"schedule\">\n<h2>Schedule</h2>\n");
        if (s.Schedules.Count > 0)
        {
            h.Append("<table id=\"schedule-table\">\n<thead><tr><th>Name</th><th>Scheduler</th><th>Schedule</th><th>Next run</th><th>Command</th><th>Location</th></tr></thead>\n<tbody>\n");
            foreach (var r in s.Schedules)
            {
                h.Append("<tr data-schedule=\"").Append(E(r.Name)).Append("\"><td>").Append(E(r.Name)).Append("</td><td>").Append(r.Scheduler).Append("</td><td><code>")
                    .Append(r.Schedule is null ? "<span class=\"never\">scheduler syntax</span>" : E(r.Schedule)).Append("</code></td><td class=\"when next-run\">");
                if (r.NextRun is { } next) h.Append(Time(next.UtcDateTime, m.Zone));
                else h.Append("<span class=\"never\">unknown</span>");
                h.Append("</td><td><code>").Append(E(r.Command)).Append("</code></td><td><code>").Append(E(r.Location)).Append("</code></td></tr>\n");
            }
            h.Append("</tbody>\n</table>\n");
        }
        h.Append("<p class=\"note\" id=\"schedule-note\">").Append(E(s.Note)).Append("</p>\n</section>\n");
    }

    static void FailureSection(StringBuilder h, BackupReportModel m)
    {
        h.Append("<section id=\"failures\" data-count=\"").Append(m.Failures.Count).Append("\">\n<h2>Latest failures</h2>\n");
        if (m.Failures.Count == 0)
        {
            h.Append("<p class=\"empty\">No failures in the backup log.</p>\n</section>\n");
            return;
        }
        h.Append(m.Failures.Count == 1 ? "<p>The last failure event of the backup log.</p>\n"
            : $"<p>The last {m.Failures.Count} failure events of the backup log (at most {MaxFailures}), newest first.</p>\n");
        h.Append("<table id=\"failures-table\">\n<thead><tr><th>Time</th><th>Event</th><th>Database</th><th>Message</th></tr></thead>\n<tbody>\n");
        foreach (var e in m.Failures)
        {
            h.Append("<tr class=\"failure\" data-event=\"").Append(E(e.Event)).Append("\"><td class=\"when\">").Append(Time(Utc(e.Time), m.Zone)).Append("</td><td class=\"failed\">")
                .Append(E(e.Event)).Append("</td><td>").Append(E(e.Database ?? "")).Append("</td><td>").Append(E(e.Message));
            if (!string.IsNullOrEmpty(e.Error) && !e.Message.Contains(e.Error, StringComparison.Ordinal))
                h.Append("<br><span class=\"bytes\">").Append(E(e.Error)).Append("</span>");
            if (!string.IsNullOrEmpty(e.Path)) h.Append("<br><code>").Append(E(e.Path)).Append("</code>");
            h.Append("</td></tr>\n");
        }
        h.Append("</tbody>\n</table>\n</section>\n");
    }

    static void History(StringBuilder h, BackupReportModel m)
    {
        h.Append("<section id=\"history\">\n<h2>Backup history</h2>\n");
        if (m.Backups.Count == 0)
        {
            h.Append("<p class=\"empty\">No backups.</p>\n</section>\n");
            return;
        }
        h.Append("<table id=\"history-table\">\n<thead><tr><th>Created</th><th>Database</th><th>Type</th><th>Format</th><th>Stored size</th><th>Raw size</th><th>Compression</th><th>Verified</th><th>Id</th></tr></thead>\n<tbody>\n");
        foreach (var b in m.Backups)
        {
            h.Append("<tr class=\"backup\" data-backup-id=\"").Append(E(b.Id)).Append("\" data-database=\"").Append(E(b.Database)).Append("\">");
            h.Append("<td class=\"when\">").Append(Time(b.CreatedUtc, m.Zone)).Append("</td>");
            h.Append("<td>").Append(E(b.Database)).Append("</td><td>").Append(b.Type).Append("</td>");
            h.Append("<td class=\"format\">").Append(b.Format).Append("</td>");
            h.Append("<td class=\"num stored-size\" data-bytes=\"").Append(b.StoredSize.ToString(Inv)).Append("\">").Append(E(HumanSize.Format(b.StoredSize))).Append("</td>");
            h.Append("<td class=\"num raw-size\" data-bytes=\"").Append(b.RawSize.ToString(Inv)).Append("\">").Append(E(HumanSize.Format(b.RawSize))).Append("</td>");
            h.Append("<td>").Append(b.Compression).Append("</td>");
            h.Append(b.Verified switch
            {
                true => "<td data-verified=\"passed\">yes</td>",
                false => "<td data-verified=\"failed\" class=\"failed\">FAILED</td>",
                null when b.LastOutcome == VerificationOutcome.Inconclusive => "<td data-verified=\"inconclusive\" title=\"the check could not run; nothing was found wrong\">inconclusive</td>",
                null => "<td data-verified=\"never\" class=\"never\">never</td>",
            });
            h.Append("<td><code title=\"").Append(E(b.Id)).Append("\">").Append(E(b.Id.Length > 8 ? b.Id[..8] : b.Id)).Append("</code></td></tr>\n");
        }
        h.Append("</tbody>\n</table>\n</section>\n");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    static string F(double v) => v.ToString("0.#", Inv);

    static DateTime Utc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Utc => t,
        DateTimeKind.Local => t.ToUniversalTime(),
        _ => DateTime.SpecifyKind(t, DateTimeKind.Utc),
    };

    static string Iso(DateTime utc) => Utc(utc).ToString("o", Inv);

    static string Local(DateTime utc, TimeZoneInfo zone) => TimeZoneInfo.ConvertTimeFromUtc(Utc(utc), zone).ToString("yyyy-MM-dd HH:mm:ss", Inv);

    static string Time(DateTime utc, TimeZoneInfo zone) => "<time datetime=\"" + Iso(utc) + "\">" + E(Local(utc, zone)) + "</time>";
}
