using System.Globalization;
using System.Text;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// When a job runs, in the machine's local time: daily, on some weekdays, hourly, or by a cron expression. Always valid
/// once constructed (there is no <c>with</c>), so every renderer can trust it. Times are whole minutes because cron,
/// launchd and Task Scheduler's calendar triggers have no seconds.
/// </summary>
public sealed record ScheduleSpec
{
    /// <exception cref="ArgumentException">The parts do not fit the kind (see each factory).</exception>
    /// <exception cref="FormatException">The cron expression is invalid or not portable; the message quotes it.</exception>
    public ScheduleSpec(ScheduleKind kind, TimeOnly at, IReadOnlyList<DayOfWeek> daysOfWeek, string? cronExpression = null)
    {
        ArgumentNullException.ThrowIfNull(daysOfWeek);
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown schedule kind.");
        if (kind != ScheduleKind.Cron && cronExpression is not null)
            throw new ArgumentException($"A {kind} schedule takes no cron expression; use ScheduleKind.Cron for '{cronExpression}'.", nameof(cronExpression));
        if (kind != ScheduleKind.Weekly && daysOfWeek.Count > 0)
            throw new ArgumentException($"Only a weekly schedule takes days of the week, not a {kind} one.", nameof(daysOfWeek));
        if (at.Ticks % TimeSpan.TicksPerMinute != 0)
            throw new ArgumentException($"The time {at:HH:mm:ss.FFFFFFF} is not a whole minute; schedulers run at minute precision.", nameof(at));

        switch (kind)
        {
            case ScheduleKind.Weekly:
                if (daysOfWeek.Count == 0)
                    throw new ArgumentException("A weekly schedule needs at least one day of the week.", nameof(daysOfWeek));
                foreach (var d in daysOfWeek)
                    if (!Enum.IsDefined(d)) throw new ArgumentOutOfRangeException(nameof(daysOfWeek), d, "Not a day of the week.");
                break;
            case ScheduleKind.Hourly:
                if (at.Hour != 0)
                    throw new ArgumentException($"An hourly schedule uses only the minute; pass {at.Minute} to Hourly rather than the time {at:HH:mm}.", nameof(at));
                break;
            case ScheduleKind.Cron:
                if (cronExpression is null)
                    throw new ArgumentException("A cron schedule needs a cron expression.", nameof(cronExpression));
                if (at != default)
                    throw new ArgumentException("A cron schedule takes its time from the expression; leave At at 00:00.", nameof(at));
                break;
        }

        Kind = kind;
        At = at;
        // Monday first, as ISO 8601, systemd and the Task Scheduler UI list them; duplicates mean nothing extra.
        DaysOfWeek = daysOfWeek.Distinct().OrderBy(d => ((int)d + 6) % 7).ToArray();
        Fields = CronFields.Parse(kind == ScheduleKind.Cron ? cronExpression! : BuiltInCron(kind, at, DaysOfWeek));
        CronExpression = kind == ScheduleKind.Cron ? Fields.Text : null;
    }

    public ScheduleKind Kind { get; }
    /// <summary>The time of day (Daily, Weekly) or, through its minute, of the hour (Hourly). 00:00 for Cron.</summary>
    public TimeOnly At { get; }
    /// <summary>For Weekly: the days, Monday first, without duplicates. Empty otherwise.</summary>
    public IReadOnlyList<DayOfWeek> DaysOfWeek { get; }
    /// <summary>For Cron: the expression as it goes into a crontab (single spaces, numbers for names). Null otherwise.</summary>
    public string? CronExpression { get; }

    internal CronFields Fields { get; }

    public static ScheduleSpec Daily(TimeOnly at) => new(ScheduleKind.Daily, at, []);

    /// <exception cref="ArgumentException">No day was given.</exception>
    public static ScheduleSpec Weekly(TimeOnly at, params DayOfWeek[] days) => new(ScheduleKind.Weekly, at, days ?? []);

    /// <exception cref="ArgumentOutOfRangeException">The minute is not 0-59.</exception>
    public static ScheduleSpec Hourly(int minute)
    {
        if (minute is < 0 or > 59) throw new ArgumentOutOfRangeException(nameof(minute), minute, "The minute of the hour must be 0-59.");
        return new(ScheduleKind.Hourly, new TimeOnly(0, minute), []);
    }

    /// <summary>
    /// A five-field expression (minute hour day-of-month month day-of-week), validated by Cronos and held to the subset
    /// that Debian's cron reads the same way: no macros (@daily, @reboot), no L/W/#/?, steps only after * or a range, no
    /// reversed ranges, and not both day fields restricted (cron ORs them, everyone else ANDs them).
    /// </summary>
    /// <exception cref="FormatException">The expression is unusable; the message quotes it and says why.</exception>
    public static ScheduleSpec FromCron(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return new(ScheduleKind.Cron, default, [], expression);
    }

    public string ToCron() => Fields.Text;

    /// <summary>The first run strictly after <paramref name="from"/>, computed by Cronos in <paramref name="zone"/>.
    /// Across a daylight-saving gap a run in the missing hour moves to the end of the gap; in a repeated hour a
    /// fixed-time run happens once. Null when the expression never matches again.</summary>
    public DateTimeOffset? NextRun(DateTimeOffset from, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return Fields.Expression.GetNextOccurrence(from, zone);
    }

    /// <summary>The systemd.time(7) calendar event for a timer's OnCalendar=, such as <c>Mon,Wed *-*-* 02:00:00</c>.</summary>
    public string ToSystemdOnCalendar()
    {
        var f = Fields;
        var sb = new StringBuilder();
        if (f.DayOfWeekRestricted)
        {
            // systemd lists Monday first; cron counts Sunday as 0.
            var iso = f.DaysOfWeek.Select(d => (d + 6) % 7).Order().ToArray();
            sb.Append(Compress(iso, i => SystemdDayNames[i])).Append(' ');
        }
        sb.Append("*-")
          .Append(f.EveryMonth ? "*" : Compress(f.Months, Two)).Append('-')
          .Append(f.DayOfMonthRestricted ? Compress(f.DaysOfMonth, Two) : "*").Append(' ')
          .Append(f.EveryHour ? "*" : Compress(f.Hours, Two)).Append(':')
          .Append(f.EveryMinute ? "*" : Compress(f.Minutes, Two)).Append(":00");
        return sb.ToString();
    }

    public override string ToString() => Kind switch
    {
        ScheduleKind.Daily => $"daily at {At:HH\\:mm}",
        ScheduleKind.Weekly => $"weekly on {string.Join(", ", DaysOfWeek.Select(d => CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedDayName(d)))} at {At:HH\\:mm}",
        ScheduleKind.Hourly => $"hourly at minute {At.Minute}",
        _ => $"cron '{CronExpression}'",
    };

    public bool Equals(ScheduleSpec? other) =>
        other is not null && Kind == other.Kind && At == other.At && CronExpression == other.CronExpression
        && DaysOfWeek.SequenceEqual(other.DaysOfWeek);

    public override int GetHashCode() => HashCode.Combine(Kind, At, CronExpression, DaysOfWeek.Count);

    static readonly string[] SystemdDayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    static string Two(int n) => n.ToString("00", CultureInfo.InvariantCulture);

    static string BuiltInCron(ScheduleKind kind, TimeOnly at, IReadOnlyList<DayOfWeek> days) => kind switch
    {
        ScheduleKind.Daily => $"{at.Minute} {at.Hour} * * *",
        ScheduleKind.Weekly => $"{at.Minute} {at.Hour} * * {string.Join(',', days.Select(d => (int)d).Order())}",
        _ => $"{at.Minute} * * * *",
    };

    /// <summary>A sorted list as systemd writes it: runs of three or more become <c>a..b</c>.</summary>
    static string Compress(IReadOnlyList<int> sorted, Func<int, string> show)
    {
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(j - i >= 2 ? $"{show(sorted[i])}..{show(sorted[j])}" : show(sorted[i]));
            if (j - i == 1) parts.Add(show(sorted[j]));
            i = j + 1;
        }
        return string.Join(',', parts);
    }
}
