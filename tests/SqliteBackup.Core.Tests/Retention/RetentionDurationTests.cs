using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Tests.Retention;

public sealed class RetentionDurationTests
{
    [Theory]
    // restic's TestParseDuration table
    [InlineData("9h", 0, 0, 0, 9, "9h")]
    [InlineData("3d", 0, 0, 3, 0, "3d")]
    [InlineData("4d2h", 0, 0, 4, 2, "4d2h")]
    [InlineData("7m5d", 0, 7, 5, 0, "7m5d")]
    [InlineData("6m4d8h", 0, 6, 4, 8, "6m4d8h")]
    [InlineData("5d7m", 0, 7, 5, 0, "7m5d")]
    [InlineData("4h3d9m", 0, 9, 3, 4, "9m3d4h")]
    // (restic also parses negative components and repeated units; we refuse them, see below)
    // ours
    [InlineData("1y2m3d4h", 1, 2, 3, 4, "1y2m3d4h")]
    [InlineData("  5d  ", 0, 0, 5, 0, "5d")]
    [InlineData("0d", 0, 0, 0, 0, "0h")]
    [InlineData("9999y", 9999, 0, 0, 0, "9999y")]
    public void Parses_restic_form(string text, int years, int months, int days, int hours, string printed)
    {
        var d = RetentionDuration.Parse(text);
        Assert.Equal(new RetentionDuration(years, months, days, hours), d);
        Assert.Equal(printed, d.ToString());
        Assert.True(RetentionDuration.TryParse(text, out var again));
        Assert.Equal(d, again);
    }

    [Theory]
    [InlineData("2w")]
    [InlineData("1y4m3w1d")]
    [InlineData("s")]
    [InlineData("\u07c0d")] // NKO DIGIT ZERO: only ASCII digits, as restic
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("5")]
    [InlineData("d")]
    [InlineData("-")]
    [InlineData("-d")]
    [InlineData("+5d")]
    [InlineData("5D")]
    [InlineData("1.5d")]
    [InlineData("5 d")]
    [InlineData("1d 2h")]
    [InlineData("7 days")]
    [InlineData("99999999999d")]
    public void Rejects_malformed_text_naming_it(string text)
    {
        var ex = Assert.Throws<FormatException>(() => RetentionDuration.Parse(text));
        Assert.Contains($"'{text}'", ex.Message);
        Assert.False(RetentionDuration.TryParse(text, out _));
    }

    [Theory]
    // A negative part reaches forward from the newest backup: '-3d' would keep nothing it names and '1d-2h' means 22h in
    // a form nobody reads that way. restic accepts both; a typo in a deletion rule must not be read as intent.
    [InlineData("-3d", "cannot be negative")]
    [InlineData("-7m5d", "cannot be negative")]
    [InlineData("1y4m-5d-3h", "cannot be negative")]
    [InlineData("1d-2h", "cannot be negative")]
    [InlineData("-0d", "cannot be negative")]
    // restic lets a repeated unit overwrite the earlier one, so '1d1d' is one day and '1d2d' two: refuse the guess.
    [InlineData("1d1d", "'d' appears twice")]
    [InlineData("1d2d", "'d' appears twice")]
    [InlineData("1y2h3y", "'y' appears twice")]
    [InlineData("4h3d9h", "'h' appears twice")]
    public void Refuses_negative_parts_and_repeated_units_showing_the_accepted_form(string text, string problem)
    {
        var ex = Assert.Throws<FormatException>(() => RetentionDuration.Parse(text));
        Assert.Contains($"'{text}'", ex.Message);
        Assert.Contains(problem, ex.Message);
        Assert.Contains("each unit at most once", ex.Message);
        Assert.Contains("such as 7d, 12h or 1y6m", ex.Message);
        Assert.False(RetentionDuration.TryParse(text, out _));
    }

    [Fact]
    public void A_policy_refuses_a_negative_duration_built_in_code()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RetentionPolicy { KeepWithinDaily = new RetentionDuration(0, 0, -3, 0) }.Validate());
        Assert.Contains("KeepWithinDaily", ex.Message);
        Assert.Contains("negative", ex.Message);
    }

    [Fact]
    public void TryParse_null_is_false_and_Parse_null_throws()
    {
        Assert.False(RetentionDuration.TryParse(null, out _));
        Assert.Throws<ArgumentNullException>(() => RetentionDuration.Parse(null!));
    }

    [Theory]
    [InlineData(1, 0, 0, "1d")]
    [InlineData(0, 36, 0, "1d12h")]
    [InlineData(7, 0, 0, "7d")]
    [InlineData(0, 0, 0, "0h")]
    public void Converts_whole_hour_TimeSpans(int days, int hours, int minutes, string expected)
    {
        var span = new TimeSpan(days, hours, minutes, 0);
        Assert.Equal(expected, RetentionDuration.FromTimeSpan(span).ToString());
    }

    [Fact]
    public void Refuses_negative_TimeSpans()
    {
        var ex = Assert.Throws<ArgumentException>(() => RetentionDuration.FromTimeSpan(TimeSpan.FromDays(-1)));
        Assert.Contains("negative", ex.Message);
    }

    [Theory]
    [InlineData(0, 1, 30)]
    [InlineData(1, 0, 1)]
    public void Refuses_TimeSpans_with_parts_smaller_than_an_hour(int days, int hours, int minutes)
    {
        var ex = Assert.Throws<ArgumentException>(() => RetentionDuration.FromTimeSpan(new TimeSpan(days, hours, minutes, 0)));
        Assert.Contains("whole number of hours", ex.Message);
    }

    // restic's TestDurationTimePattern: hours between 2025-01-01 and that date minus the duration.
    [Theory]
    [InlineData("-2h", -2)]
    [InlineData("1d1h", 25)]
    [InlineData("1h1d", 25)]
    [InlineData("4h", 4)]
    [InlineData("1d-2h", 22)]
    [InlineData("-1d-2h", -26)]
    [InlineData("30d24h", 31 * 24)]
    [InlineData("24h30d", 31 * 24)]
    [InlineData("1m", 31 * 24)]
    [InlineData("2m", (31 + 30) * 24)]   // Nov + Dec 2024
    [InlineData("-2m", -(31 + 28) * 24)] // Jan + Feb 2025
    [InlineData("1y", 366 * 24)]         // 2024 was a leap year
    public void Subtracts_like_restic(string duration, int hours)
    {
        var reference = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var result = Build(duration).SubtractFrom(reference, TimeZoneInfo.Utc);
        Assert.Equal(hours, (reference - result).TotalHours);
    }

    [Theory]
    // Go's AddDate lets an overflowing day roll into the next month instead of clamping to the month's end.
    [InlineData("2015-03-31T10:00:00Z", "1m", "2015-03-03T10:00:00Z")]
    [InlineData("2016-03-31T10:00:00Z", "1m", "2016-03-02T10:00:00Z")]
    [InlineData("2016-02-29T10:00:00Z", "1y", "2015-03-01T10:00:00Z")]
    [InlineData("2016-01-18T12:02:03Z", "1y2m3d3h", "2014-11-15T09:02:03Z")]
    [InlineData("2016-01-18T12:02:03Z", "13d23h", "2016-01-04T13:02:03Z")]
    [InlineData("2016-01-01T00:00:00Z", "1d", "2015-12-31T00:00:00Z")]
    public void Calendar_subtraction_rolls_over_like_Go(string from, string duration, string expected)
    {
        var result = RetentionDuration.Parse(duration).SubtractFrom(DateTimeOffset.Parse(from), TimeZoneInfo.Utc);
        Assert.Equal(DateTimeOffset.Parse(expected), result);
    }

    [Fact]
    public void Calendar_days_follow_the_wall_clock_across_daylight_saving()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var noonAfterSpringForward = new DateTimeOffset(2024, 3, 31, 12, 0, 0, TimeSpan.FromHours(2));

        // One calendar day back is noon the day before: only 23 hours elapsed. 24h is elapsed time.
        Assert.Equal(new DateTimeOffset(2024, 3, 30, 12, 0, 0, TimeSpan.FromHours(1)), RetentionDuration.Parse("1d").SubtractFrom(noonAfterSpringForward, berlin));
        Assert.Equal(new DateTimeOffset(2024, 3, 30, 11, 0, 0, TimeSpan.FromHours(1)), RetentionDuration.Parse("24h").SubtractFrom(noonAfterSpringForward, berlin));

        // 02:30 on 31 March does not exist in Berlin; Go (and so restic) resolves it to 03:30 CEST.
        var halfPastTwo = new DateTimeOffset(2024, 4, 1, 2, 30, 0, TimeSpan.FromHours(2));
        Assert.Equal(new DateTimeOffset(2024, 3, 31, 1, 30, 0, TimeSpan.Zero), RetentionDuration.Parse("1d").SubtractFrom(halfPastTwo, berlin));

        // 02:30 on 27 October happens twice; Go picks the second (CET) one in Berlin.
        var octoberHalfPastTwo = new DateTimeOffset(2024, 10, 28, 2, 30, 0, TimeSpan.FromHours(1));
        Assert.Equal(new DateTimeOffset(2024, 10, 27, 1, 30, 0, TimeSpan.Zero), RetentionDuration.Parse("1d").SubtractFrom(octoberHalfPastTwo, berlin));
    }

    [Fact]
    public void Fixed_offset_overload_works_in_the_values_own_offset()
    {
        var t = new DateTimeOffset(2015, 3, 31, 23, 30, 0, TimeSpan.FromHours(-5)); // 1 April in UTC
        Assert.Equal(new DateTimeOffset(2015, 3, 3, 23, 30, 0, TimeSpan.FromHours(-5)), RetentionDuration.Parse("1m").SubtractFrom(t));
    }

    [Theory]
    [InlineData("9999y", true)]
    [InlineData("2147483647d", true)]
    [InlineData("2147483647h", true)]
    [InlineData("-9999y", false)]
    public void Clamps_instead_of_overflowing(string duration, bool toMin)
    {
        var result = Build(duration).SubtractFrom(new DateTimeOffset(2016, 1, 18, 12, 2, 3, TimeSpan.Zero), TimeZoneInfo.Utc);
        Assert.Equal(toMin ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue, result);
    }

    /// <summary>restic's arithmetic tables use negative and repeated parts, which Parse refuses: add them up here instead.</summary>
    static RetentionDuration Build(string text)
    {
        int y = 0, m = 0, d = 0, h = 0;
        foreach (System.Text.RegularExpressions.Match part in System.Text.RegularExpressions.Regex.Matches(text, @"(-?\d+)([ymdh])"))
        {
            int n = int.Parse(part.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            switch (part.Groups[2].Value) { case "y": y += n; break; case "m": m += n; break; case "d": d += n; break; default: h += n; break; }
        }
        return new RetentionDuration(y, m, d, h);
    }
}
