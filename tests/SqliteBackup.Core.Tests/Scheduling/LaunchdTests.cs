using System.Xml;
using System.Xml.Linq;
using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

public sealed class LaunchdTests
{
    static XDocument Parse(string plist)
    {
        // The DOCTYPE names Apple's DTD; parse without fetching or applying it.
        using var reader = XmlReader.Create(new StringReader(plist), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    /// <summary>The value after &lt;key&gt;name&lt;/key&gt; in the top-level dict.</summary>
    static XElement Value(XDocument doc, string key)
    {
        var keyElement = doc.Root!.Element("dict")!.Elements("key").Single(k => k.Value == key);
        return keyElement.ElementsAfterSelf().First();
    }

    static List<Dictionary<string, int>> Intervals(XDocument doc)
    {
        var v = Value(doc, "StartCalendarInterval");
        var dicts = v.Name == "array" ? v.Elements("dict") : [v];
        return dicts.Select(d => d.Elements("key").ToDictionary(k => k.Value, k => int.Parse(k.ElementsAfterSelf().First().Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    [Fact]
    public void Plists_match_golden_files()
    {
        Golden.Match("org.sqlitebackup.nightly.plist", Launchd.RenderPlist(new("nightly", Examples.Daily, Examples.Posix)));
        Golden.Match("org.sqlitebackup.weekly.plist", Launchd.RenderPlist(new("weekly", Examples.Weekly, Examples.Posix),
            "/Users/admin/Library/Logs/SqliteBackup/weekly.log", "/Users/admin/Library/Logs/SqliteBackup/weekly.err"));
    }

    [Fact]
    public void Calendar_intervals_follow_the_schedule()
    {
        static List<Dictionary<string, int>> Of(ScheduleSpec s) => Intervals(Parse(Launchd.RenderPlist(new("x", s, Examples.Posix))));
        static Dictionary<string, int> D(params (string, int)[] kv) => kv.ToDictionary(p => p.Item1, p => p.Item2);

        Assert.Equal([D(("Hour", 2), ("Minute", 0))], Of(Examples.Daily));
        Assert.Equal([D(("Weekday", 1), ("Hour", 2), ("Minute", 0)), D(("Weekday", 3), ("Hour", 2), ("Minute", 0)), D(("Weekday", 5), ("Hour", 2), ("Minute", 0))], Of(Examples.Weekly));
        Assert.Equal([D(("Weekday", 0), ("Hour", 4), ("Minute", 30))], Of(ScheduleSpec.Weekly(new TimeOnly(4, 30), DayOfWeek.Sunday)));
        Assert.Equal([D(("Minute", 15))], Of(Examples.Hourly));
        Assert.Equal([D(("Month", 1), ("Day", 1), ("Hour", 3), ("Minute", 0)), D(("Month", 7), ("Day", 1), ("Hour", 3), ("Minute", 0))], Of(ScheduleSpec.FromCron("0 3 1 jan,jul *")));
        Assert.Equal([D()], Of(ScheduleSpec.FromCron("* * * * *")));
        Assert.Equal(5 * 11 * 4, Of(Examples.Custom).Count);
        Assert.Contains(D(("Weekday", 5), ("Hour", 18), ("Minute", 45)), Of(Examples.Custom));
    }

    [Fact]
    public void Refuses_what_launchd_cannot_express()
    {
        Assert.Contains("both a day of the month and a day of the week",
            Assert.Throws<ArgumentException>(() => Launchd.RenderPlist(new("x", ScheduleSpec.FromCron("0 3 */10 * 1"), Examples.Posix))).Message);
        Assert.Contains("calendar entries",
            Assert.Throws<ArgumentException>(() => Launchd.RenderPlist(new("x", ScheduleSpec.FromCron("*/2 */2 * * 1-5"), Examples.Posix))).Message);
        Assert.Contains("shutdown", Assert.Throws<ArgumentException>(() => Launchd.RenderPlist(new("x", Examples.Daily, Examples.Posix, true))).Message);
        Assert.Throws<ArgumentException>(() => Launchd.RenderPlist(new("x", Examples.Daily, new ScheduledCommand("pwsh", []))));
        Assert.Throws<ArgumentException>(() => Launchd.RenderPlist(new("x", Examples.Daily, Examples.Posix), standardOutPath: "relative.log"));
    }

    [Fact]
    public void Hostile_arguments_come_back_exactly_from_the_plist()
    {
        string[] args = [.. Examples.Hostile("/tmp/pwned"), .. Examples.LineBreaks, "<plist>&amp;</dict>", "]]>", "\u0085\u2028\uFFFD"];
        var command = new ScheduledCommand("/Applications/My App & Co/<bin>/pwsh", args);
        string plist = Launchd.RenderPlist(new("hostile", Examples.Weekly, command));

        var doc = Parse(plist);
        Assert.Equal("org.sqlitebackup.hostile", Value(doc, "Label").Value);
        Assert.Equal([command.Executable, .. args], Value(doc, "ProgramArguments").Elements("string").Select(e => e.Value));
        Assert.Equal("false", Value(doc, "RunAtLoad").Name.LocalName);
    }

    [Theory]
    [InlineData("\x01", "U+0001")]
    [InlineData("bell\a", "U+0007")]
    [InlineData("esc\x1b[0m", "U+001B")]
    [InlineData("\uFFFE", "U+FFFE")]
    public void Refuses_characters_XML_cannot_hold(string argument, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => Launchd.RenderPlist(new("x", Examples.Daily, new ScheduledCommand("/bin/echo", ["ok", argument]))));
        Assert.Contains("argument 2", e.Message);
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void Names_the_label_and_file()
    {
        Assert.Equal("org.sqlitebackup.nightly", Launchd.Label("nightly"));
        Assert.Equal("org.sqlitebackup.nightly.plist", Launchd.PlistFileName("nightly"));
        Assert.Throws<ArgumentException>(() => Launchd.Label("a/b"));
    }

    /// <summary>plutil (macOS) is the authority on plists; where it exists, it must accept ours.</summary>
    [SkippableFact]
    public void Plutil_accepts_the_plist_on_macOS()
    {
        Skip.IfNot(Cli.Has("plutil"), "plutil exists only on macOS");
        using var dir = new TempDir();
        File.WriteAllText(dir["x.plist"], Launchd.RenderPlist(new("weekly", Examples.Weekly, Examples.Posix)));
        var (code, output, error) = Cli.Run("plutil", "-lint", dir["x.plist"]);
        Assert.True(code == 0, output + error);
    }
}
