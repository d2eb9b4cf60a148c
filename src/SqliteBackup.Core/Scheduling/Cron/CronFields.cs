using System.Globalization;
using Cronos;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// A five-field cron expression, checked and expanded. Cronos decides validity and computes occurrences; this class only
/// adds the rules that keep an expression meaning the same thing in Debian's cron, systemd, launchd and Task Scheduler,
/// and reads the expanded value sets back from Cronos's normalised text so the other back ends can be written.
/// </summary>
internal sealed class CronFields
{
    static readonly string[] FieldNames = ["minute", "hour", "day of month", "month", "day of week"];
    static readonly (int Low, int High)[] Bounds = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
    static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    CronFields(string text, CronExpression expression, int[][] values, bool dayOfMonthRestricted, bool dayOfWeekRestricted)
    {
        Text = text;
        Expression = expression;
        Minutes = values[0];
        Hours = values[1];
        DaysOfMonth = values[2];
        Months = values[3];
        DaysOfWeek = values[4];
        DayOfMonthRestricted = dayOfMonthRestricted;
        DayOfWeekRestricted = dayOfWeekRestricted;
    }

    /// <summary>The expression with single spaces and numbers for month and day names: what goes into a crontab.</summary>
    public string Text { get; }
    public CronExpression Expression { get; }
    public IReadOnlyList<int> Minutes { get; }
    public IReadOnlyList<int> Hours { get; }
    public IReadOnlyList<int> DaysOfMonth { get; }
    public IReadOnlyList<int> Months { get; }
    /// <summary>0 = Sunday .. 6 = Saturday (a 7 in the text arrives here as 0).</summary>
    public IReadOnlyList<int> DaysOfWeek { get; }
    public bool DayOfMonthRestricted { get; }
    public bool DayOfWeekRestricted { get; }
    public bool EveryMinute => Minutes.Count == 60;
    public bool EveryHour => Hours.Count == 24;
    public bool EveryMonth => Months.Count == 12;

    /// <exception cref="FormatException">The expression is not valid, or not in the portable subset; the message quotes it.</exception>
    public static CronFields Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        string[] fields = expression.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0)
            throw Bad(expression, "it is empty");
        if (fields[0].StartsWith('@'))
            throw Bad(expression, "macros such as @daily or @reboot are not supported; write the five fields, such as '0 2 * * *'");
        if (fields.Length != 5)
            throw Bad(expression, $"it has {fields.Length} field{(fields.Length == 1 ? "" : "s")}, but exactly five are needed (minute hour day-of-month month day-of-week)");

        var canonical = new string[5];
        for (int i = 0; i < 5; i++) canonical[i] = CanonicalField(expression, i, fields[i]);
        string text = string.Join(' ', canonical);

        CronExpression parsed;
        try { parsed = CronExpression.Parse(text, CronFormat.Standard); }
        catch (CronFormatException e) { throw Bad(expression, e.Message.Replace("The given cron expression has an invalid format. ", ""), e); }

        // cron runs a job when EITHER day field matches if both are restricted (and neither starts with '*'), while
        // Cronos, systemd and Task Scheduler require BOTH. Refusing that one form keeps every back end in agreement.
        bool domStar = canonical[2].StartsWith('*'), dowStar = canonical[4].StartsWith('*');
        if (!domStar && !dowStar)
            throw Bad(expression, $"it restricts both the day of month ({fields[2]}) and the day of week ({fields[4]}); cron runs it when either matches but other schedulers only when both do. Use '*' in one of them, or register two schedules");

        int[][] values = Expand(parsed);
        if (parsed.GetNextOccurrence(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)) is null)
            throw Bad(expression, "it never matches a real date (such as 30 February)");

        return new CronFields(text, parsed, values, values[2].Length != 31, values[4].Length != 7);
    }

    static FormatException Bad(string expression, string why, Exception? inner = null) =>
        new($"'{expression}' is not a usable cron expression: {why.TrimEnd('.')}.", inner);

    /// <summary>
    /// Checks one field against Debian cron's grammar (a list of <c>*</c>, <c>n</c>, <c>a-b</c>, each optionally
    /// <c>/step</c> after <c>*</c> or a range) and replaces names with numbers. Cronos accepts more (L, W, #, ?, <c>5/15</c>,
    /// wrapping ranges), which cron would reject or read differently.
    /// </summary>
    static string CanonicalField(string expression, int field, string text)
    {
        string name = FieldNames[field];
        var items = text.Split(',');
        for (int k = 0; k < items.Length; k++)
        {
            string item = items[k];
            if (item.Length == 0) throw Bad(expression, $"the {name} field '{text}' has an empty list item");
            string step = "";
            int slash = item.IndexOf('/');
            if (slash >= 0)
            {
                step = item[slash..];
                item = item[..slash];
                if (step.Length == 1 || step.AsSpan(1).ContainsAnyExceptInRange('0', '9'))
                    throw Bad(expression, $"the {name} field '{text}' needs a number after '/'");
            }
            if (item == "*") { items[k] = item + step; continue; }

            int dash = item.IndexOf('-');
            if (dash < 0)
            {
                if (step.Length > 0)
                    throw Bad(expression, $"the {name} field '{text}' has a step after a single value; cron needs a range there, such as '{item}-{Bounds[field].High}{step}'");
                items[k] = Number(expression, field, text, item).ToString(CultureInfo.InvariantCulture);
                continue;
            }
            int from = Number(expression, field, text, item[..dash]);
            int to = Number(expression, field, text, item[(dash + 1)..]);
            if (from > to)
                throw Bad(expression, $"the {name} field '{text}' has the reversed range '{item}', which schedulers read differently; list both ends instead");
            items[k] = $"{from}-{to}{step}";
        }
        return string.Join(',', items);
    }

    static int Number(string expression, int field, string text, string token)
    {
        if (token.Length > 0 && !token.AsSpan().ContainsAnyExceptInRange('0', '9'))
            return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue;
        string[]? names = field switch { 3 => MonthNames, 4 => DayNames, _ => null };
        int index = names is null ? -1 : Array.FindIndex(names, x => string.Equals(x, token, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
            throw Bad(expression, $"'{token}' in the {FieldNames[field]} field '{text}' is not a number{(names is null ? "" : " or a three-letter name")}; only *, numbers, ranges (a-b), steps (*/n, a-b/n) and lists are portable");
        return field == 3 ? index + 1 : index;
    }

    /// <summary>Cronos prints each field as '*' or a comma list of numbers, with names, steps and ranges already expanded.</summary>
    static int[][] Expand(CronExpression parsed)
    {
        string[] printed = parsed.ToString().Split(' ');
        if (printed.Length != 5) throw new InvalidOperationException($"Cronos printed '{parsed}', not five fields.");
        var values = new int[5][];
        for (int i = 0; i < 5; i++)
        {
            var (low, high) = i == 4 ? (0, 6) : Bounds[i];
            values[i] = printed[i] == "*"
                ? Enumerable.Range(low, high - low + 1).ToArray()
                : printed[i].Split(',').Select(s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture))
                    .Select(v => i == 4 && v == 7 ? 0 : v).Distinct().Order().ToArray();
        }
        return values;
    }
}
