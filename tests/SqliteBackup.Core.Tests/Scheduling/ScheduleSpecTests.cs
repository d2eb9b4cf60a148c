using Cronos;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

public sealed class ScheduleSpecTests
{
    public static TheoryData<string, ScheduleSpec, string, string> Translations => new()
    {
        { "daily 02:00", ScheduleSpec.Daily(new TimeOnly(2, 0)), "0 2 * * *", "*-*-* 02:00:00" },
        { "daily 23:59", ScheduleSpec.Daily(new TimeOnly(23, 59)), "59 23 * * *", "*-*-* 23:59:00" },
        { "daily midnight", ScheduleSpec.Daily(TimeOnly.MinValue), "0 0 * * *", "*-*-* 00:00:00" },
        { "weekly Mon,Wed", ScheduleSpec.Weekly(new TimeOnly(2, 0), DayOfWeek.Monday, DayOfWeek.Wednesday), "0 2 * * 1,3", "Mon,Wed *-*-* 02:00:00" },
        { "weekly given out of order", ScheduleSpec.Weekly(new TimeOnly(2, 0), DayOfWeek.Wednesday, DayOfWeek.Monday, DayOfWeek.Monday), "0 2 * * 1,3", "Mon,Wed *-*-* 02:00:00" },
        { "weekly Sunday", ScheduleSpec.Weekly(new TimeOnly(4, 30), DayOfWeek.Sunday), "30 4 * * 0", "Sun *-*-* 04:30:00" },
        { "weekly weekend", ScheduleSpec.Weekly(new TimeOnly(4, 30), DayOfWeek.Sunday, DayOfWeek.Saturday), "30 4 * * 0,6", "Sat,Sun *-*-* 04:30:00" },
        { "weekly Mon-Fri", ScheduleSpec.Weekly(new TimeOnly(1, 5), DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday), "5 1 * * 1,2,3,4,5", "Mon..Fri *-*-* 01:05:00" },
        { "weekly every day", ScheduleSpec.Weekly(new TimeOnly(1, 0), Enum.GetValues<DayOfWeek>()), "0 1 * * 0,1,2,3,4,5,6", "*-*-* 01:00:00" },
        { "hourly :15", ScheduleSpec.Hourly(15), "15 * * * *", "*-*-* *:15:00" },
        { "hourly :00", ScheduleSpec.Hourly(0), "0 * * * *", "*-*-* *:00:00" },
        { "cron passthrough", ScheduleSpec.FromCron("0 2 * * *"), "0 2 * * *", "*-*-* 02:00:00" },
        { "cron blanks and names", ScheduleSpec.FromCron("  30\t3 * *  mon-fri "), "30 3 * * 1-5", "Mon..Fri *-*-* 03:30:00" },
        { "cron steps", ScheduleSpec.FromCron("*/15 8-18 * * MON-FRI"), "*/15 8-18 * * 1-5", "Mon..Fri *-*-* 08..18:00,15,30,45:00" },
        { "cron monthly", ScheduleSpec.FromCron("0 3 1 * *"), "0 3 1 * *", "*-*-01 03:00:00" },
        { "cron quarterly", ScheduleSpec.FromCron("0 3 1 jan,apr,jul,oct *"), "0 3 1 1,4,7,10 *", "*-01,04,07,10-01 03:00:00" },
        { "cron Sunday as 7", ScheduleSpec.FromCron("0 3 * * 7"), "0 3 * * 7", "Sun *-*-* 03:00:00" },
        { "cron Fri-Sun", ScheduleSpec.FromCron("0 3 * * 5-7"), "0 3 * * 5-7", "Fri..Sun *-*-* 03:00:00" },
        { "cron stepped day AND weekday", ScheduleSpec.FromCron("0 3 */10 * 1"), "0 3 */10 * 1", "Mon *-*-01,11,21,31 03:00:00" },
        { "cron every minute", ScheduleSpec.FromCron("* * * * *"), "* * * * *", "*-*-* *:*:00" },
        { "cron range with step", ScheduleSpec.FromCron("5-59/20 0-6/3 * * *"), "5-59/20 0-6/3 * * *", "*-*-* 00,03,06:05,25,45:00" },
    };

    [Theory]
    [MemberData(nameof(Translations))]
    public void Translates_to_cron_and_systemd(string _, ScheduleSpec spec, string cron, string onCalendar)
    {
        Assert.Equal(cron, spec.ToCron());
        Assert.Equal(onCalendar, spec.ToSystemdOnCalendar());
    }

    [Theory]
    [InlineData("61 * * * *", "Minutes")]
    [InlineData("* 24 * * *", "Hours")]
    [InlineData("* * 0 * *", "Days of month")]
    [InlineData("* * * 13 *", "Months")]
    [InlineData("* * *", "has 3 fields")]
    [InlineData("0 0 * * * *", "has 6 fields")]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("@reboot", "macros")]
    [InlineData("@daily", "macros")]
    [InlineData("5/15 * * * *", "range there")]
    [InlineData("5-1 * * * *", "reversed range")]
    [InlineData("0 0 L * *", "not a number")]
    [InlineData("0 0 15W * *", "not a number")]
    [InlineData("0 0 * * 1#2", "not a number")]
    [InlineData("0 0 ? * 1", "not a number")]
    [InlineData("0 0 * * MONDAY", "not a number")]
    [InlineData("0 0 1,,2 * *", "empty list item")]
    [InlineData("*/ * * * *", "number after '/'")]
    [InlineData("*/0 * * * *", "Minutes")]
    [InlineData("0 0 1 * 1", "both the day of month")]
    [InlineData("0 0 1-31 * 1-5", "both the day of month")]
    [InlineData("0 0 30 2 *", "never matches")]
    public void Rejects_unusable_cron_with_a_message_naming_the_input(string expression, string why)
    {
        var e = Assert.Throws<FormatException>(() => ScheduleSpec.FromCron(expression));
        Assert.Contains($"'{expression}'", e.Message);
        Assert.Contains(why, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Rejects_parts_that_do_not_fit_the_kind()
    {
        Assert.Throws<ArgumentException>(() => ScheduleSpec.Weekly(new TimeOnly(2, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScheduleSpec.Weekly(new TimeOnly(2, 0), (DayOfWeek)9));
        Assert.Throws<ArgumentException>(() => ScheduleSpec.Daily(new TimeOnly(2, 0, 30)));
        Assert.Throws<ArgumentException>(() => ScheduleSpec.Daily(new TimeOnly(2, 0, 0, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScheduleSpec.Hourly(60));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScheduleSpec.Hourly(-1));
        Assert.Throws<ArgumentException>(() => new ScheduleSpec(ScheduleKind.Hourly, new TimeOnly(3, 15), []));
        Assert.Throws<ArgumentException>(() => new ScheduleSpec(ScheduleKind.Daily, new TimeOnly(3, 15), [DayOfWeek.Monday]));
        Assert.Throws<ArgumentException>(() => new ScheduleSpec(ScheduleKind.Daily, new TimeOnly(3, 15), [], "0 3 * * *"));
        Assert.Throws<ArgumentException>(() => new ScheduleSpec(ScheduleKind.Cron, default, []));
        Assert.Throws<ArgumentException>(() => new ScheduleSpec(ScheduleKind.Cron, new TimeOnly(3, 0), [], "0 3 * * *"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleSpec((ScheduleKind)42, default, []));
    }

    [Fact]
    public void Equality_compares_days_by_value()
    {
        Assert.Equal(ScheduleSpec.Weekly(new TimeOnly(2, 0), DayOfWeek.Friday, DayOfWeek.Monday),
                     ScheduleSpec.Weekly(new TimeOnly(2, 0), DayOfWeek.Monday, DayOfWeek.Friday));
        Assert.NotEqual(ScheduleSpec.Weekly(new TimeOnly(2, 0), DayOfWeek.Monday), ScheduleSpec.Weekly(new TimeOnly(2, 0), DayOfWeek.Tuesday));
        Assert.Equal(ScheduleSpec.FromCron("0 2 * * mon"), ScheduleSpec.FromCron("0  2 * * 1"));
        Assert.NotEqual(ScheduleSpec.FromCron("0 2 * * *"), ScheduleSpec.Daily(new TimeOnly(2, 0)));
    }

    [Theory]
    [InlineData("daily at 02:00", ScheduleKind.Daily)]
    [InlineData("weekly on Mon, Wed, Fri at 02:00", ScheduleKind.Weekly)]
    [InlineData("hourly at minute 15", ScheduleKind.Hourly)]
    [InlineData("cron '*/15 8-18 * * 1-5'", ScheduleKind.Cron)]
    public void Reads_as_a_sentence(string text, ScheduleKind kind)
    {
        var spec = kind switch
        {
            ScheduleKind.Daily => Examples.Daily,
            ScheduleKind.Weekly => Examples.Weekly,
            ScheduleKind.Hourly => Examples.Hourly,
            _ => Examples.Custom,
        };
        Assert.Equal(text, spec.ToString());
    }

    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    public static TheoryData<string, ScheduleSpec, string, string> NextRuns => new()
    {
        { "daily, later today", ScheduleSpec.Daily(new TimeOnly(2, 0)), "2025-06-10T01:00:00+02:00", "2025-06-10T02:00:00+02:00" },
        { "daily, exactly now is not next", ScheduleSpec.Daily(new TimeOnly(2, 0)), "2025-06-10T02:00:00+02:00", "2025-06-11T02:00:00+02:00" },
        { "daily, input in UTC", ScheduleSpec.Daily(new TimeOnly(2, 0)), "2025-06-10T00:30:00+00:00", "2025-06-11T02:00:00+02:00" },
        // 30 March 2025: Berlin skips 02:00-03:00; a run in the gap happens at the end of the gap.
        { "daily 02:30 on spring-forward day", ScheduleSpec.Daily(new TimeOnly(2, 30)), "2025-03-30T00:00:00+01:00", "2025-03-30T03:00:00+02:00" },
        { "daily 02:30 the day after", ScheduleSpec.Daily(new TimeOnly(2, 30)), "2025-03-30T03:00:00+02:00", "2025-03-31T02:30:00+02:00" },
        // 26 October 2025: 02:00-03:00 happens twice; a fixed-time run happens once, in the first pass.
        { "daily 02:30 on fall-back day", ScheduleSpec.Daily(new TimeOnly(2, 30)), "2025-10-26T00:00:00+02:00", "2025-10-26T02:30:00+02:00" },
        { "daily 02:30 not again in the repeat", ScheduleSpec.Daily(new TimeOnly(2, 30)), "2025-10-26T02:30:00+02:00", "2025-10-27T02:30:00+01:00" },
        { "hourly across fall-back", ScheduleSpec.Hourly(15), "2025-10-26T02:15:00+02:00", "2025-10-26T02:15:00+01:00" },
        { "weekly Mon,Wed from Tuesday", ScheduleSpec.Weekly(new TimeOnly(2, 0), DayOfWeek.Monday, DayOfWeek.Wednesday), "2025-06-10T12:00:00+02:00", "2025-06-11T02:00:00+02:00" },
        { "cron first of month", ScheduleSpec.FromCron("0 3 1 * *"), "2025-01-15T00:00:00+01:00", "2025-02-01T03:00:00+01:00" },
        { "cron 29 February", ScheduleSpec.FromCron("0 0 29 2 *"), "2025-03-01T00:00:00+01:00", "2028-02-29T00:00:00+01:00" },
    };

    [Theory]
    [MemberData(nameof(NextRuns))]
    public void NextRun_is_computed_by_Cronos_in_the_zone(string _, ScheduleSpec spec, string from, string expected)
    {
        var next = spec.NextRun(At(from), Berlin);
        Assert.NotNull(next);
        Assert.Equal(At(expected), next.Value);
        Assert.Equal(At(expected).Offset, next.Value.Offset);
    }

    /// <summary>
    /// The value sets the other back ends are written from are read back from Cronos's normalised text; check them
    /// against Cronos's own occurrences, minute by minute, over a year.
    /// </summary>
    [Theory]
    [InlineData("0 2 * * *")]
    [InlineData("*/15 8-18 * * MON-FRI")]
    [InlineData("5-59/20 0-6/3 * * *")]
    [InlineData("0 3 */10 * 1")]
    [InlineData("0 3 1,15,31 * *")]
    [InlineData("30 4 * jan-feb 0,6")]
    [InlineData("0 0 * * 7")]
    [InlineData("0 12 * * 0-7/2")]
    public void Expanded_fields_match_Cronos_occurrences(string expression)
    {
        var spec = ScheduleSpec.FromCron(expression);
        var cronos = CronExpression.Parse(spec.ToCron());
        var from = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var to = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var expected = cronos.GetOccurrences(from, to, fromInclusive: true, toInclusive: false).ToHashSet();

        var fields = spec.Fields;
        var actual = new HashSet<DateTime>();
        for (var t = from; t < to; t = t.AddMinutes(1))
        {
            bool dom = fields.DaysOfMonth.Contains(t.Day), dow = fields.DaysOfWeek.Contains((int)t.DayOfWeek);
            if (fields.Minutes.Contains(t.Minute) && fields.Hours.Contains(t.Hour) && fields.Months.Contains(t.Month) && dom && dow)
                actual.Add(t);
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Order(), actual.Order());
    }
}
