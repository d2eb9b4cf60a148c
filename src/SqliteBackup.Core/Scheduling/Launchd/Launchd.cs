using System.Globalization;
using System.Text;
using System.Xml;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// A launchd property list for a LaunchAgent (~/Library/LaunchAgents, loaded with launchctl bootstrap gui/UID). launchd
/// starts ProgramArguments directly, without a shell, so the only encoding needed is XML's. StartCalendarInterval is
/// read in local time; a run missed while the Mac slept happens on wake (but not one missed while it was off).
/// </summary>
public static class Launchd
{
    /// <summary>Above this many calendar entries the plist gets silly; such an expression should be simplified.</summary>
    public const int MaxCalendarEntries = 500;

    public static string Label(string name)
    {
        ScheduleDefinition.ValidateName(name);
        return "org.sqlitebackup." + name;
    }

    public static string PlistFileName(string name) => Label(name) + ".plist";

    /// <summary>The plist text, UTF-8 as declared, ending in a newline.</summary>
    /// <exception cref="ArgumentException">A shutdown backup was asked for (a LaunchAgent has no reliable shutdown hook),
    /// the executable or a log path is not absolute, a value has a character XML cannot hold, or the cron expression
    /// cannot be written as calendar intervals (both day fields restricted, or too many combinations).</exception>
    public static string RenderPlist(ScheduleDefinition definition, string? standardOutPath = null, string? standardErrorPath = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.BackupOnShutdown)
            throw new ArgumentException("launchd cannot run a backup at shutdown for an agent; register without BackupOnShutdown on macOS.", nameof(definition));
        var command = definition.Command;
        CommandText.RequirePosixAbsolute(command.Executable, "launchd");
        foreach (var (label, value) in CommandText.Parts(command)) XmlText.Checked(value, label, "property list");
        foreach (var (path, param) in new[] { (standardOutPath, nameof(standardOutPath)), (standardErrorPath, nameof(standardErrorPath)) })
            if (path is not null && (!path.StartsWith('/') || CommandText.IndexOfControl(path) >= 0))
                throw new ArgumentException($"The log path '{path}' must be absolute and free of control characters.", param);
        var intervals = CalendarIntervals(definition.Schedule);

        using var text = new XmlText.Writer(new UTF8Encoding(false));
        using (var w = XmlWriter.Create(text, XmlText.Settings("\t")))
        {
            w.WriteStartDocument();
            w.WriteDocType("plist", "-//Apple//DTD PLIST 1.0//EN", "http://www.apple.com/DTDs/PropertyList-1.0.dtd", null);
            w.WriteStartElement("plist");
            w.WriteAttributeString("version", "1.0");
            w.WriteStartElement("dict");

            Key(w, "Label");
            w.WriteElementString("string", Label(definition.Name));

            Key(w, "ProgramArguments");
            w.WriteStartElement("array");
            foreach (var (_, value) in CommandText.Parts(command)) w.WriteElementString("string", value);
            w.WriteEndElement();

            Key(w, "StartCalendarInterval");
            if (intervals.Count == 1) Interval(w, intervals[0]);
            else
            {
                w.WriteStartElement("array");
                foreach (var interval in intervals) Interval(w, interval);
                w.WriteEndElement();
            }

            Key(w, "RunAtLoad");
            w.WriteStartElement("false");
            w.WriteEndElement();

            if (standardOutPath is not null) { Key(w, "StandardOutPath"); w.WriteElementString("string", standardOutPath); }
            if (standardErrorPath is not null) { Key(w, "StandardErrorPath"); w.WriteElementString("string", standardErrorPath); }

            w.WriteEndElement();
            w.WriteEndElement();
        }
        return text.ToString() + "\n";
    }

    static void Key(XmlWriter w, string key) => w.WriteElementString("key", key);

    static void Interval(XmlWriter w, IReadOnlyList<(string Key, int Value)> entry)
    {
        w.WriteStartElement("dict");
        foreach (var (key, value) in entry)
        {
            Key(w, key);
            w.WriteElementString("integer", value.ToString(CultureInfo.InvariantCulture));
        }
        w.WriteEndElement();
    }

    /// <summary>
    /// One dictionary per combination of the restricted fields; a missing key is a wildcard. Weekday counts Sunday as 0,
    /// as cron does. Day and Weekday never appear together: launchd, like cron, would run when either matches.
    /// </summary>
    static List<List<(string Key, int Value)>> CalendarIntervals(ScheduleSpec schedule)
    {
        var f = schedule.Fields;
        if (f.DayOfMonthRestricted && f.DayOfWeekRestricted)
            throw new ArgumentException($"The schedule {schedule} needs both a day of the month and a day of the week to match, which launchd cannot express; use one of the two.", "definition");

        var axes = new List<(string Key, IReadOnlyList<int> Values)>();
        if (!f.EveryMonth) axes.Add(("Month", f.Months));
        if (f.DayOfMonthRestricted) axes.Add(("Day", f.DaysOfMonth));
        if (f.DayOfWeekRestricted) axes.Add(("Weekday", f.DaysOfWeek));
        if (!f.EveryHour) axes.Add(("Hour", f.Hours));
        if (!f.EveryMinute) axes.Add(("Minute", f.Minutes));

        long count = axes.Aggregate(1L, (n, a) => n * a.Values.Count);
        if (count > MaxCalendarEntries)
            throw new ArgumentException($"The schedule {schedule} would need {count} launchd calendar entries (at most {MaxCalendarEntries}); simplify the expression.", "definition");

        var result = new List<List<(string, int)>> { new() };
        foreach (var (key, values) in axes)
            result = result.SelectMany(prefix => values.Select(v => new List<(string, int)>(prefix) { (key, v) })).ToList();
        return result;
    }
}
