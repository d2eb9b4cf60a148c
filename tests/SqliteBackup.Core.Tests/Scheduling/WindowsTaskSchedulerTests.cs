using System.Xml.Linq;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

public sealed class WindowsTaskSchedulerTests
{
    static readonly XNamespace T = WindowsTaskScheduler.Namespace;

    static ScheduleDefinition Def(string name, ScheduleSpec spec, ScheduledCommand? command = null, bool shutdown = false) =>
        new(name, spec, command ?? Examples.Windows, shutdown, shutdown ? Examples.WindowsShutdown : null);

    [Fact]
    public void Task_xml_matches_golden_files()
    {
        Golden.Match("task-daily.xml", WindowsTaskScheduler.RenderTaskXml(Def("nightly", Examples.Daily), Examples.StartDate));
        Golden.Match("task-weekly.xml", WindowsTaskScheduler.RenderTaskXml(Def("weekly", Examples.Weekly), Examples.StartDate));
        Golden.Match("task-hourly.xml", WindowsTaskScheduler.RenderTaskXml(Def("hourly", Examples.Hourly), Examples.StartDate));
        Golden.Match("task-shutdown.xml", WindowsTaskScheduler.RenderShutdownTaskXml(Def("nightly", Examples.Daily, shutdown: true)));
    }

    [Fact]
    public void Declares_the_encoding_it_is_written_in()
    {
        string xml = WindowsTaskScheduler.RenderTaskXml(Def("nightly", Examples.Daily), Examples.StartDate);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-16\"?>", xml);
        byte[] bytes = WindowsTaskScheduler.FileEncoding.GetPreamble().Concat(WindowsTaskScheduler.FileEncoding.GetBytes(xml)).ToArray();
        using var stream = new MemoryStream(bytes);
        Assert.Equal("Task", XDocument.Load(stream).Root!.Name.LocalName);
    }

    static XDocument Render(ScheduleSpec spec) =>
        XDocument.Parse(WindowsTaskScheduler.RenderTaskXml(Def("x", spec), Examples.StartDate));

    [Fact]
    public void Triggers_follow_the_schedule()
    {
        var daily = Render(Examples.Daily).Descendants(T + "CalendarTrigger").Single();
        Assert.Equal("2025-01-06T02:00:00", daily.Element(T + "StartBoundary")!.Value);
        Assert.Equal("1", daily.Element(T + "ScheduleByDay")!.Element(T + "DaysInterval")!.Value);

        var weekly = Render(Examples.Weekly).Descendants(T + "ScheduleByWeek").Single();
        Assert.Equal(["Monday", "Wednesday", "Friday"], weekly.Element(T + "DaysOfWeek")!.Elements().Select(e => e.Name.LocalName));

        var hourly = Render(Examples.Hourly).Descendants(T + "CalendarTrigger").Single();
        Assert.Equal("2025-01-06T00:15:00", hourly.Element(T + "StartBoundary")!.Value);
        Assert.Equal("PT1H", hourly.Element(T + "Repetition")!.Element(T + "Interval")!.Value);
        Assert.Equal("P1D", hourly.Element(T + "Repetition")!.Element(T + "Duration")!.Value);

        var monthly = Render(ScheduleSpec.FromCron("30 3 1,15 jan,jul *")).Descendants(T + "ScheduleByMonth").Single();
        Assert.Equal(["1", "15"], monthly.Element(T + "DaysOfMonth")!.Elements().Select(e => e.Value));
        Assert.Equal(["January", "July"], monthly.Element(T + "Months")!.Elements().Select(e => e.Name.LocalName));

        var twice = Render(ScheduleSpec.FromCron("0 6,18 * * sat,sun")).Descendants(T + "CalendarTrigger").ToList();
        Assert.Equal(["2025-01-06T06:00:00", "2025-01-06T18:00:00"], twice.Select(t => t.Element(T + "StartBoundary")!.Value));
        Assert.All(twice, t => Assert.Equal(["Saturday", "Sunday"], t.Descendants(T + "DaysOfWeek").Single().Elements().Select(e => e.Name.LocalName)));

        var settings = Render(Examples.Daily).Descendants(T + "Settings").Single();
        Assert.Equal("true", settings.Element(T + "StartWhenAvailable")!.Value);
        Assert.Equal("IgnoreNew", settings.Element(T + "MultipleInstancesPolicy")!.Value);
        Assert.Equal("PT12H", settings.Element(T + "ExecutionTimeLimit")!.Value);
    }

    [Theory]
    [InlineData("*/15 * * * *", "more than one minute")]
    [InlineData("0,30 2 * * *", "more than one minute")]
    [InlineData("0 2 */10 * 1", "more than one way")]
    [InlineData("0 2 * jan 1", "more than one way")]
    [InlineData("0 2 * jan *", "months without")]
    public void Refuses_cron_without_a_clean_form(string expression, string why)
    {
        var e = Assert.Throws<ArgumentException>(() => WindowsTaskScheduler.RenderTaskXml(Def("x", ScheduleSpec.FromCron(expression)), Examples.StartDate));
        Assert.Contains(why, e.Message);
        Assert.Contains("use Daily, Weekly or Hourly", e.Message);
    }

    [Fact]
    public void Shutdown_task_triggers_on_event_1074()
    {
        var doc = XDocument.Parse(WindowsTaskScheduler.RenderShutdownTaskXml(Def("nightly", Examples.Daily, shutdown: true)));
        var query = XDocument.Parse(doc.Descendants(T + "EventTrigger").Single().Element(T + "Subscription")!.Value);
        var select = query.Descendants("Select").Single();
        Assert.Equal("System", select.Attribute("Path")!.Value);
        Assert.Equal("*[System[Provider[@Name='User32'] and EventID=1074]]", select.Value);
        Assert.Equal(@"\SqliteBackup\nightly-shutdown", doc.Descendants(T + "URI").Single().Value);
        Assert.EndsWith("app-shutdown.json", doc.Descendants(T + "Arguments").Single().Value);
        Assert.Throws<ArgumentException>(() => WindowsTaskScheduler.RenderShutdownTaskXml(Def("x", Examples.Daily)));
    }

    static string[] WindowsHostile(string marker) =>
        [.. Examples.Hostile(marker).Where(a => !a.Contains('%')), "100%", "C:\\Program Files\\", "\\\\?\\C:\\x\\\\", "a\\\\\\\"b\\\\"];

    [Fact]
    public void Hostile_arguments_split_back_exactly()
    {
        string[] args = WindowsHostile(@"C:\pwned");
        var command = new ScheduledCommand(@"C:\Program Files (x86)\My App & Co\pwsh.exe", args);
        var doc = XDocument.Parse(WindowsTaskScheduler.RenderTaskXml(Def("hostile", Examples.Weekly, command), Examples.StartDate));
        var exec = doc.Descendants(T + "Exec").Single();

        Assert.Equal(command.Executable, exec.Element(T + "Command")!.Value);
        Assert.Equal(args, CommandLineToArgv.Split(exec.Element(T + "Arguments")!.Value));
    }

    [Theory]
    [InlineData("%PATH%")]
    [InlineData("%%")]
    [InlineData("50%", "100%")]
    public void Refuses_percent_pairs_Task_Scheduler_would_expand(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => WindowsTaskScheduler.RenderTaskXml(Def("x", Examples.Daily, new ScheduledCommand(@"C:\x.exe", args)), Examples.StartDate));
        Assert.Contains("environment variable", e.Message);
    }

    [Theory]
    [InlineData("line1\nline2", "line feed")]
    [InlineData("cr\r", "carriage return")]
    [InlineData("bell\a", "U+0007")]
    public void Refuses_arguments_it_cannot_pass(string argument, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => WindowsTaskScheduler.RenderTaskXml(Def("x", Examples.Daily, new ScheduledCommand(@"C:\x.exe", ["ok", argument])), Examples.StartDate));
        Assert.Contains("argument 2", e.Message);
        Assert.Contains(named, e.Message);
    }

    [Theory]
    [InlineData("/usr/bin/pwsh")]
    [InlineData("pwsh.exe")]
    [InlineData(@"C:pwsh.exe")]
    [InlineData(@"C:\dir\")]
    [InlineData(@"C:\%ProgramFiles%\x.exe")]
    [InlineData("C:\\a\"b\\x.exe")]
    [InlineData(@"C:\a|b\x.exe")]
    public void Refuses_executables_that_are_not_plain_absolute_Windows_paths(string executable) =>
        Assert.Throws<ArgumentException>(() => WindowsTaskScheduler.RenderTaskXml(Def("x", Examples.Daily, new ScheduledCommand(executable, [])), Examples.StartDate));

    [Fact]
    public void Accepts_UNC_executables_and_no_arguments()
    {
        var doc = XDocument.Parse(WindowsTaskScheduler.RenderTaskXml(Def("x", Examples.Daily, new ScheduledCommand(@"\\server\tools\backup.exe", [])), Examples.StartDate));
        Assert.Equal(@"\\server\tools\backup.exe", doc.Descendants(T + "Command").Single().Value);
        Assert.Empty(doc.Descendants(T + "Arguments"));
    }

    [Fact]
    public void Names_the_tasks()
    {
        Assert.Equal(@"\SqliteBackup\nightly", WindowsTaskScheduler.TaskName("nightly"));
        Assert.Equal(@"\SqliteBackup\nightly-shutdown", WindowsTaskScheduler.ShutdownTaskName("nightly"));
        Assert.Throws<ArgumentException>(() => WindowsTaskScheduler.TaskName(@"a\b"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("a b")]
    [InlineData("\"")]
    [InlineData("\\")]
    [InlineData("\\\\")]
    [InlineData("a\\")]
    [InlineData("a \\")]
    [InlineData("\\\"")]
    [InlineData("\\\\\"")]
    [InlineData("\"\"")]
    [InlineData("\t")]
    public void Quoting_round_trips_single_arguments(string value)
    {
        Assert.Equal([value], CommandLineToArgv.Split(ScheduledCommand.QuoteWindows(value)));
        Assert.Equal([value, value], CommandLineToArgv.Split(WindowsTaskScheduler.BuildArguments([value, value])));
    }

    [Fact]
    public void Splitter_follows_the_documented_examples()
    {
        // The table in Microsoft's "Parsing C++ command-line arguments".
        Assert.Equal(["a b c", "d", "e"], CommandLineToArgv.Split("\"a b c\" d e"));
        Assert.Equal(["ab\"c", "\\", "d"], CommandLineToArgv.Split("\"ab\\\"c\" \"\\\\\" d"));
        Assert.Equal(["a\\\\\\b", "de fg", "h"], CommandLineToArgv.Split("a\\\\\\b d\"e f\"g h"));
        Assert.Equal(["a\\\"b", "c", "d"], CommandLineToArgv.Split("a\\\\\\\"b c d"));
        Assert.Equal(["a\\\\b c", "d", "e"], CommandLineToArgv.Split("a\\\\\\\\\"b c\" d e"));
        Assert.Equal(["ab\" c d"], CommandLineToArgv.Split("a\"b\"\" c d"));
    }
}
