using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace SqliteBackup.Core.Retention;

/// <summary>
/// A calendar span in restic's duration form, such as <c>1y2m3d4h</c>: years, months and days are calendar units
/// (a month back from 31 March is not 30 days back), hours are elapsed hours; a zero duration switches a <c>within</c>
/// rule off. Parsing is stricter than restic's: no negative part and no unit twice (see <see cref="Parse"/>).
/// </summary>
public readonly record struct RetentionDuration(int Years, int Months, int Days, int Hours)
{
    const string FormHint = "Use whole numbers followed by y (years), m (months), d (days) or h (hours), each unit at most once, such as 7d, 12h or 1y6m.";

    public bool IsZero => Years == 0 && Months == 0 && Days == 0 && Hours == 0;

    /// <summary>Some part is below zero: only possible by constructing one in code, never by parsing.</summary>
    public bool IsNegative => Years < 0 || Months < 0 || Days < 0 || Hours < 0;

    /// <summary>
    /// Parses restic's form, refusing two things restic accepts because in a rule that decides deletions they are far
    /// more likely typos than intent: a negative part (<c>-3d</c> reaches forward from the newest backup, <c>1d-2h</c>
    /// means 22h) and a repeated unit (restic silently keeps the last, so <c>1d1d</c> is one day).
    /// </summary>
    /// <exception cref="FormatException">The text is not in restic's duration form; the message quotes it.</exception>
    public static RetentionDuration Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var duration, out string? error)
            ? duration
            : throw new FormatException($"'{text}' is not a valid retention duration: {error}. {FormHint}");
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out RetentionDuration duration) =>
        TryParse(text, out duration, out _);

    static bool TryParse(string? text, out RetentionDuration duration, out string? error)
    {
        duration = default;
        if (text is null) { error = "no text"; return false; }

        // restic treats an empty string as a zero duration because that is its flag default; for a cmdlet argument an
        // empty string is far more likely a script bug (an unset variable) than a request to switch the rule off.
        var s = text.AsSpan().Trim();
        if (s.IsEmpty) { error = "it is empty"; return false; }

        int years = 0, months = 0, days = 0, hours = 0;
        string seen = "";
        int i = 0;
        while (i < s.Length)
        {
            int start = i;
            if (s[i] == '-') { error = $"a duration cannot be negative (the '-' at position {start + 1})"; return false; }
            int digitsStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == digitsStart) { error = $"expected a number at position {start + 1}"; return false; }
            if (!int.TryParse(s[start..i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
            {
                error = $"the number {s[start..i].ToString()} is too large";
                return false;
            }
            if (i == s.Length) { error = $"no unit after the number {n}"; return false; }
            if (seen.Contains(s[i])) { error = $"the unit '{s[i]}' appears twice"; return false; }
            seen += s[i];
            switch (s[i])
            {
                case 'y': years = n; break;
                case 'm': months = n; break;
                case 'd': days = n; break;
                case 'h': hours = n; break;
                default: error = $"'{s[i]}' after the number {n} is not a unit"; return false;
            }
            i++;
        }

        duration = new RetentionDuration(years, months, days, hours);
        error = null;
        return true;
    }

    /// <summary>
    /// Whole days become calendar days and the remainder hours; a TimeSpan carries no months or years. Sub-hour parts are
    /// refused rather than rounded, because rounding either way would silently move the retention window.
    /// </summary>
    /// <exception cref="ArgumentException">The span is negative or not a whole number of hours.</exception>
    public static RetentionDuration FromTimeSpan(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
            throw new ArgumentException($"A retention duration cannot be negative, but {span} is. Use a positive span such as 7.00:00:00 or the form 7d.", nameof(span));
        if (span.Ticks % TimeSpan.TicksPerHour != 0)
            throw new ArgumentException($"A retention duration must be a whole number of hours, but {span} is not. Round it to hours or use the form 7d12h.", nameof(span));
        return new RetentionDuration(0, 0, span.Days, span.Hours);
    }

    /// <summary>The instant this duration before <paramref name="time"/>, doing the calendar part in the value's own offset.</summary>
    public DateTimeOffset SubtractFrom(DateTimeOffset time)
    {
        long offset = time.Offset.Ticks;
        return Subtract(time.DateTime, wall => wall.Ticks - offset);
    }

    /// <summary>
    /// The instant this duration before <paramref name="time"/>, like restic's <c>AddDate(-y, -m, -d).Add(-h)</c>: years,
    /// months and days move the wall clock in <paramref name="zone"/> (an overflowing day rolls into the next month, so one
    /// month before 31 March is 3 March in a common year, not 28 February), then hours are subtracted as elapsed time.
    /// Results beyond the representable range clamp to <see cref="DateTimeOffset.MinValue"/> or <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    public DateTimeOffset SubtractFrom(DateTimeOffset time, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return Subtract(RetentionBuckets.WallTime(time, zone), wall => WallClock.ToUtcTicks(wall, zone));
    }

    DateTimeOffset Subtract(DateTime wall, Func<DateTime, Int128> toUtcTicks)
    {
        // Go normalises month overflow into years first, then lets the day overflow from the first of that month.
        long monthIndex = wall.Year * 12L + (wall.Month - 1) - Years * 12L - Months;
        long year = Math.DivRem(monthIndex, 12, out long month0);
        if (month0 < 0) { month0 += 12; year--; }
        if (year < 1) return DateTimeOffset.MinValue;
        if (year > 9999) return DateTimeOffset.MaxValue;

        Int128 wallTicks = new DateTime((int)year, (int)month0 + 1, 1).Ticks + wall.TimeOfDay.Ticks
            + ((Int128)(wall.Day - 1) - Days) * TimeSpan.TicksPerDay;
        if (wallTicks < DateTime.MinValue.Ticks) return DateTimeOffset.MinValue;
        if (wallTicks > DateTime.MaxValue.Ticks) return DateTimeOffset.MaxValue;

        Int128 utcTicks = toUtcTicks(new DateTime((long)wallTicks)) - (Int128)Hours * TimeSpan.TicksPerHour;
        if (utcTicks < DateTime.MinValue.Ticks) return DateTimeOffset.MinValue;
        if (utcTicks > DateTime.MaxValue.Ticks) return DateTimeOffset.MaxValue;
        return new DateTimeOffset((long)utcTicks, TimeSpan.Zero);
    }

    /// <summary>restic's form, components in y, m, d, h order; the zero duration prints as <c>0h</c> so that it parses back.</summary>
    public override string ToString()
    {
        if (IsZero) return "0h";
        var sb = new StringBuilder();
        if (Years != 0) sb.Append(CultureInfo.InvariantCulture, $"{Years}y");
        if (Months != 0) sb.Append(CultureInfo.InvariantCulture, $"{Months}m");
        if (Days != 0) sb.Append(CultureInfo.InvariantCulture, $"{Days}d");
        if (Hours != 0) sb.Append(CultureInfo.InvariantCulture, $"{Hours}h");
        return sb.ToString();
    }
}
