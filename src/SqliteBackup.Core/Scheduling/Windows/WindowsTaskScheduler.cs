using System.Globalization;
using System.Text;
using System.Xml;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// Task Scheduler 1.2 task definitions. Registering is the caller's: write the text with <see cref="FileEncoding"/> and
/// run <c>schtasks.exe /Create /XML file /TN name</c> (with /RU and /RP, or /RU SYSTEM, to run whether or not anyone
/// is logged on: the XML names no account, so that choice stays with the registration). Times carry no offset, so they
/// are local time, like cron's, systemd's and launchd's.
/// </summary>
internal static class WindowsTaskScheduler
{
    public const string Namespace = "http://schemas.microsoft.com/windows/2004/02/mit/task";

    /// <summary>The longest a run may take before Task Scheduler stops it.</summary>
    public static readonly TimeSpan ExecutionTimeLimit = TimeSpan.FromHours(12);

    /// <summary>UTF-16 with a byte order mark, as Task Scheduler exports tasks and as the declaration says.</summary>
    public static Encoding FileEncoding { get; } = new UnicodeEncoding(bigEndian: false, byteOrderMark: true);

    /// <summary>CreateProcess's limit on a whole command line.</summary>
    const int MaxCommandLine = 32767;

    /// <summary>The task path, in a folder of our own: <c>\SqliteBackup\NAME</c>.</summary>
    public static string TaskName(string name)
    {
        ScheduleDefinition.ValidateName(name);
        return @"\SqliteBackup\" + name;
    }

    public static string ShutdownTaskName(string name) => TaskName(name) + "-shutdown";

    /// <summary>
    /// The task that runs the schedule. Daily, weekly and hourly map directly (hourly is a daily trigger repeated every
    /// hour for a day); a cron expression maps when it runs at one minute of the hour and at most one of months,
    /// days of the month and days of the week is restricted.
    /// </summary>
    /// <param name="startDate">The day the triggers start, normally the day of registration (Register-ScheduledTask
    /// does the same); a fixed value keeps the output reproducible.</param>
    /// <exception cref="ArgumentException">The executable is not an absolute Windows path, an argument cannot be passed
    /// exactly (line breaks, or % pairs that Task Scheduler would expand as environment variables), or the schedule
    /// has no clean Task Scheduler form; the message says which.</exception>
    public static string RenderTaskXml(ScheduleDefinition definition, DateOnly startDate)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var triggers = CalendarTriggers(definition.Schedule, startDate);
        return Render($"SqliteBackup job {definition.Name} ({definition.Schedule}).", TaskName(definition.Name), triggers, definition.Command, ExecutionTimeLimit);
    }

    /// <summary>
    /// The shutdown task: an event trigger on the System log for User32 event 1074, which Windows writes when a process
    /// (Start menu, shutdown.exe, Windows Update) initiates a shutdown or restart. The task runs while shutdown
    /// proceeds, so Windows may end it before a long backup finishes; a Group Policy shutdown script is the sturdier
    /// hook where one can be used. Event 1074 is not written for a power loss or a forced power-off.
    /// </summary>
    /// <exception cref="ArgumentException">The definition has no shutdown backup, or its command cannot be passed exactly.</exception>
    public static string RenderShutdownTaskXml(ScheduleDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var command = definition.EffectiveShutdownCommand
            ?? throw new ArgumentException($"The schedule '{definition.Name}' has no shutdown backup (BackupOnShutdown is false).", nameof(definition));
        const string query =
            "<QueryList><Query Id=\"0\" Path=\"System\"><Select Path=\"System\">" +
            "*[System[Provider[@Name='User32'] and EventID=1074]]</Select></Query></QueryList>";
        Action<XmlWriter> trigger = w =>
        {
            w.WriteStartElement("EventTrigger", Namespace);
            w.WriteElementString("Enabled", Namespace, "true");
            w.WriteElementString("Subscription", Namespace, query);
            w.WriteEndElement();
        };
        return Render($"SqliteBackup job {definition.Name} when Windows shuts down or restarts.", ShutdownTaskName(definition.Name), [trigger], command, TimeSpan.FromMinutes(30));
    }

    /// <summary>
    /// The task for a backup each time a service stops: an event trigger on the System log for Service Control Manager
    /// event 7036 ("The X service entered the stopped state") whose param1 is the service's display name and param2
    /// "stopped". SCM writes those insertion strings in English whatever the display language, but param1 is the display
    /// name (as services.msc shows it), not the short service name. The task runs beside the service's next start, so it
    /// never delays it; <see cref="ServiceStopDefinition.Bound"/> is its ExecutionTimeLimit.
    /// </summary>
    /// <exception cref="ArgumentException">The service name or the command cannot be carried exactly.</exception>
    public static string RenderServiceStopTaskXml(ServiceStopDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        string service = XmlText.Checked(definition.Service, "the service name", "task XML");
        string select = "*[System[Provider[@Name='Service Control Manager'] and EventID=7036]] and " +
            $"*[EventData[Data[@Name='param1']={XPathLiteral(service)} and Data[@Name='param2']='stopped']]";
        string query = "<QueryList><Query Id=\"0\" Path=\"System\"><Select Path=\"System\">" + select.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal) + "</Select></Query></QueryList>";
        Action<XmlWriter> trigger = w =>
        {
            w.WriteStartElement("EventTrigger", Namespace);
            w.WriteElementString("Enabled", Namespace, "true");
            w.WriteElementString("Subscription", Namespace, query);
            w.WriteEndElement();
        };
        return Render($"SqliteBackup job {definition.Name}: a Shutdown backup each time the service '{definition.Service}' stops.", TaskName(definition.Name), [trigger],
            definition.Command, definition.Bound);
    }

    /// <summary>XPath 1.0 has no escape inside a string literal: a value with both quote kinds is built with concat().</summary>
    static string XPathLiteral(string value)
    {
        if (!value.Contains('\'')) return $"'{value}'";
        if (!value.Contains('"')) return $"\"{value}\"";
        return "concat(" + string.Join(",\"'\",", value.Split('\'').Select(p => $"'{p}'")) + ")";
    }

    /// <summary>The Arguments text: each argument quoted for CommandLineToArgvW, separated by single spaces.</summary>
    public static string BuildArguments(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return string.Join(' ', arguments.Select(ScheduledCommand.QuoteWindows));
    }

    static string Render(string description, string uri, IReadOnlyList<Action<XmlWriter>> triggers, ScheduledCommand command, TimeSpan limit)
    {
        string arguments = CheckedArguments(command);

        using var text = new XmlText.Writer(FileEncoding);
        using (var w = XmlWriter.Create(text, XmlText.Settings("  ")))
        {
            w.WriteStartDocument();
            w.WriteStartElement("Task", Namespace);
            w.WriteAttributeString("version", "1.2");

            w.WriteStartElement("RegistrationInfo", Namespace);
            w.WriteElementString("Description", Namespace, description);
            w.WriteElementString("URI", Namespace, uri);
            w.WriteEndElement();

            w.WriteStartElement("Triggers", Namespace);
            foreach (var trigger in triggers) trigger(w);
            w.WriteEndElement();

            w.WriteStartElement("Settings", Namespace);
            // A run still going when the next one is due is left alone; the next start is skipped.
            w.WriteElementString("MultipleInstancesPolicy", Namespace, "IgnoreNew");
            w.WriteElementString("DisallowStartIfOnBatteries", Namespace, "false");
            w.WriteElementString("StopIfGoingOnBatteries", Namespace, "false");
            // A start missed while the machine was off or asleep runs once when it is available again.
            w.WriteElementString("StartWhenAvailable", Namespace, "true");
            w.WriteElementString("ExecutionTimeLimit", Namespace, XmlConvert.ToString(limit));
            w.WriteElementString("Enabled", Namespace, "true");
            w.WriteEndElement();

            w.WriteStartElement("Actions", Namespace);
            w.WriteStartElement("Exec", Namespace);
            w.WriteElementString("Command", Namespace, command.Executable);
            if (arguments.Length > 0) w.WriteElementString("Arguments", Namespace, arguments);
            w.WriteEndElement();
            w.WriteEndElement();

            w.WriteEndElement();
        }
        return text.ToString() + "\n";
    }

    /// <summary>
    /// Task Scheduler passes Command and Arguments to CreateProcess after expanding %NAME% environment references in
    /// both, and there is no escape for '%'. So the executable may hold no '%', and the whole Arguments text at most
    /// one (a lone '%' can never pair up). Line breaks are refused because the Arguments field is one line everywhere
    /// Windows shows or edits it, and nothing documents how they travel.
    /// </summary>
    static string CheckedArguments(ScheduledCommand command)
    {
        string exe = command.Executable;
        bool drive = exe.Length >= 3 && char.IsAsciiLetter(exe[0]) && exe[1] == ':' && exe[2] == '\\';
        bool unc = exe.StartsWith(@"\\", StringComparison.Ordinal) && exe.Length > 2;
        if (!(drive || unc) || exe.EndsWith('\\'))
            throw new ArgumentException($"Task Scheduler needs the executable as an absolute Windows path such as C:\\Program Files\\PowerShell\\7\\pwsh.exe, not '{exe}'.", "definition");
        int bad = exe.IndexOfAny(['"', '<', '>', '|', '?', '*', '%']);
        if (bad < 0) bad = CommandText.IndexOfControl(exe);
        if (bad >= 0)
            throw new ArgumentException($"The executable path contains {(char.IsControl(exe[bad]) ? CommandText.Describe(exe[bad]) : $"'{exe[bad]}'")}, which a Windows program path cannot carry through Task Scheduler.", "definition");

        foreach (var (label, value) in CommandText.Parts(command))
        {
            XmlText.Checked(value, label, "task XML");
            int lineBreak = value.IndexOfAny(['\n', '\r']);
            if (lineBreak >= 0)
                throw new ArgumentException($"In the scheduled command, {label} contains {CommandText.Describe(value[lineBreak])}, which Task Scheduler cannot pass reliably.", "definition");
        }

        string arguments = BuildArguments(command.Arguments);
        if (arguments.Count(c => c == '%') > 1)
            throw new ArgumentException("The arguments contain more than one '%'. Task Scheduler expands %NAME% as an environment variable and has no escape for it, so the program could receive different text; move such values into the job's configuration file.", "definition");
        if (exe.Length + arguments.Length + 3 > MaxCommandLine)
            throw new ArgumentException($"The command line would be longer than Windows allows ({MaxCommandLine} characters).", "definition");
        return arguments;
    }

    static List<Action<XmlWriter>> CalendarTriggers(ScheduleSpec schedule, DateOnly startDate)
    {
        var f = schedule.Fields;
        string Unclean(string why) =>
            $"The schedule {schedule} has no clean Task Scheduler form ({why}); on Windows use Daily, Weekly or Hourly, or a cron expression with one minute, and at most one of month, day of month and day of week restricted.";

        if (f.Minutes.Count != 1) throw new ArgumentException(Unclean("it runs at more than one minute of the hour"), "definition");
        int restricted = (f.EveryMonth ? 0 : 1) + (f.DayOfMonthRestricted ? 1 : 0) + (f.DayOfWeekRestricted ? 1 : 0);
        if (restricted > 1 && !(restricted == 2 && !f.EveryMonth && f.DayOfMonthRestricted))
            throw new ArgumentException(Unclean("it restricts the days in more than one way"), "definition");
        if (!f.EveryMonth && !f.DayOfMonthRestricted)
            throw new ArgumentException(Unclean("it restricts months without naming days of the month"), "definition");

        int minute = f.Minutes[0];
        // Every hour is one trigger at hh=00 repeated hourly for a day; otherwise one trigger per hour listed.
        IEnumerable<(int Hour, bool Repeat)> starts = f.EveryHour ? [(0, true)] : f.Hours.Select(h => (h, false));
        var triggers = new List<Action<XmlWriter>>();
        foreach (var (hour, repeat) in starts)
        {
            var start = startDate.ToDateTime(new TimeOnly(hour, minute));
            triggers.Add(w =>
            {
                w.WriteStartElement("CalendarTrigger", Namespace);
                w.WriteElementString("Enabled", Namespace, "true");
                w.WriteElementString("StartBoundary", Namespace, start.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
                if (repeat)
                {
                    w.WriteStartElement("Repetition", Namespace);
                    w.WriteElementString("Interval", Namespace, "PT1H");
                    w.WriteElementString("Duration", Namespace, "P1D");
                    w.WriteElementString("StopAtDurationEnd", Namespace, "false");
                    w.WriteEndElement();
                }
                if (f.DayOfMonthRestricted)
                {
                    w.WriteStartElement("ScheduleByMonth", Namespace);
                    w.WriteStartElement("DaysOfMonth", Namespace);
                    foreach (int day in f.DaysOfMonth) w.WriteElementString("Day", Namespace, day.ToString(CultureInfo.InvariantCulture));
                    w.WriteEndElement();
                    w.WriteStartElement("Months", Namespace);
                    foreach (int month in f.Months) { w.WriteStartElement(MonthNames[month - 1], Namespace); w.WriteEndElement(); }
                    w.WriteEndElement();
                    w.WriteEndElement();
                }
                else if (f.DayOfWeekRestricted)
                {
                    w.WriteStartElement("ScheduleByWeek", Namespace);
                    w.WriteElementString("WeeksInterval", Namespace, "1");
                    w.WriteStartElement("DaysOfWeek", Namespace);
                    foreach (int day in f.DaysOfWeek.OrderBy(d => (d + 6) % 7)) { w.WriteStartElement(((DayOfWeek)day).ToString(), Namespace); w.WriteEndElement(); }
                    w.WriteEndElement();
                    w.WriteEndElement();
                }
                else
                {
                    w.WriteStartElement("ScheduleByDay", Namespace);
                    w.WriteElementString("DaysInterval", Namespace, "1");
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            });
        }
        return triggers;
    }

    static readonly string[] MonthNames =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
}
