using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

public sealed class SystemdTests
{
    static ScheduleDefinition Nightly(bool shutdown = false) =>
        new("nightly", Examples.Daily, Examples.Posix, shutdown, shutdown ? Examples.PosixShutdown : null);

    [Fact]
    public void Units_match_golden_files()
    {
        var units = Systemd.Render(Nightly(shutdown: true), userUnit: false);
        Golden.Match("sqlitebackup-nightly.service", units.Service);
        Golden.Match("sqlitebackup-nightly.timer", units.Timer);
        Golden.Match("sqlitebackup-nightly-shutdown.service", units.ShutdownService!);

        var user = Systemd.Render(Nightly(shutdown: true), userUnit: true);
        Assert.Equal(units.Service, user.Service);
        Assert.Equal(units.Timer, user.Timer);
        Golden.Match("user-sqlitebackup-nightly-shutdown.service", user.ShutdownService!);

        Golden.Match("sqlitebackup-office-hours.timer", Systemd.Render(new("office-hours", Examples.Custom, Examples.Posix), false).Timer);
    }

    [Fact]
    public void Names_the_unit_files()
    {
        Assert.Equal("sqlitebackup-nightly.service", Systemd.ServiceName("nightly"));
        Assert.Equal("sqlitebackup-nightly.timer", Systemd.TimerName("nightly"));
        Assert.Equal("sqlitebackup-nightly-shutdown.service", Systemd.ShutdownServiceName("nightly"));
        Assert.Throws<ArgumentException>(() => Systemd.ServiceName("../x"));

        Assert.Equal(["sqlitebackup-nightly.service", "sqlitebackup-nightly.timer"], Systemd.Render(Nightly(), false).Files.Select(f => f.FileName));
        Assert.Null(Systemd.Render(Nightly(), false).ShutdownService);
        Assert.Equal(3, Systemd.Render(Nightly(true), false).Files.Count);
    }

    static string Exec(string unit, string key) =>
        unit.Split('\n').Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    [Fact]
    public void Hostile_arguments_round_trip_through_systemd_quoting()
    {
        string[] args = [.. Examples.Hostile("/tmp/pwned"), .. Examples.LineBreaks, "\a\b\f\v\x01\x1f\x7f", "\u0085 next line"];
        var command = new ScheduledCommand("/opt/My App %x $HOME/bin;`x`/é", args);
        var d = new ScheduleDefinition("hostile", Examples.Daily, command, true);
        var units = Systemd.Render(d, false);

        foreach (var exec in new[] { Exec(units.Service, "ExecStart"), Exec(units.ShutdownService!, "ExecStop") })
        {
            Assert.DoesNotContain('\n', exec);
            var argv = SystemdExecLine.Parse(exec);
            Assert.Equal(command.Executable, argv[0]);
            Assert.Equal(args, argv[1..]);
        }
    }

    [Theory]
    [InlineData("relative/pwsh", "absolute")]
    [InlineData("/usr/bin/", "absolute")]
    [InlineData("/opt/it's/pwsh", "'''")]
    [InlineData("/opt/\"q\"/pwsh", "'\"'")]
    [InlineData("/opt/back\\slash/pwsh", "'\\'")]
    [InlineData("/opt/tab\there/pwsh", "tab")]
    [InlineData("/opt/line\nbreak/pwsh", "line feed")]
    public void Refuses_executable_paths_systemd_rejects(string executable, string named)
    {
        var d = new ScheduleDefinition("x", Examples.Daily, new ScheduledCommand(executable, []));
        Assert.Contains(named, Assert.Throws<ArgumentException>(() => Systemd.Render(d, false)).Message);
    }

    public static TheoryData<ScheduleSpec> Calendars => new()
    {
        Examples.Daily, Examples.Weekly, Examples.Hourly, Examples.Custom,
        ScheduleSpec.Weekly(new TimeOnly(23, 59), Enum.GetValues<DayOfWeek>()),
        ScheduleSpec.Weekly(new TimeOnly(0, 0), DayOfWeek.Saturday, DayOfWeek.Sunday),
        ScheduleSpec.FromCron("0 3 1 jan,apr,jul,oct *"),
        ScheduleSpec.FromCron("5-59/20 0-6/3 * * *"),
        ScheduleSpec.FromCron("0 3 */10 * 1"),
        ScheduleSpec.FromCron("* * * * *"),
        ScheduleSpec.FromCron("0 0 29 2 *"),
        ScheduleSpec.FromCron("0 12 * * 5-7"),
    };

    /// <summary>systemd parses every OnCalendar we write, and agrees with Cronos on the next run.</summary>
    [SkippableTheory]
    [MemberData(nameof(Calendars))]
    public void Systemd_analyze_accepts_each_OnCalendar_and_agrees_on_the_next_run(ScheduleSpec spec)
    {
        Cli.Require("systemd-analyze");
        string onCalendar = spec.ToSystemdOnCalendar();
        var (code, output, error) = Cli.Run("systemd-analyze", "calendar", "--iterations=5", onCalendar);
        Assert.True(code == 0, $"systemd-analyze rejected '{onCalendar}': {error}");

        // "Next elapse: Mon 2025-06-09 02:00:00 CEST" then "Iter. #2: ..." lines, in the machine's zone.
        var next = output.Split('\n')
            .Where(l => l.TrimStart().StartsWith("Next elapse:", StringComparison.Ordinal) || l.TrimStart().StartsWith("Iter. #", StringComparison.Ordinal))
            .Select(l => DateTime.ParseExact(string.Join(' ', l.Split(':', 2)[1].Trim().Split(' ')[1..3]), "yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(5, next.Count);

        // Start Cronos one minute before systemd's first elapse, so both count from the same instant.
        var zone = TimeZoneInfo.Local;
        var from = new DateTimeOffset(next[0].AddMinutes(-1), zone.GetUtcOffset(next[0].AddMinutes(-1)));
        var cronos = new List<DateTime>();
        for (var t = from; cronos.Count < 5;)
        {
            t = spec.NextRun(t, zone)!.Value;
            cronos.Add(TimeZoneInfo.ConvertTime(t, zone).DateTime);
        }
        Assert.Equal(next, cronos);
    }

    [SkippableFact]
    public void Systemd_analyze_rejects_a_broken_calendar()
    {
        Cli.Require("systemd-analyze");
        Assert.NotEqual(0, Cli.Run("systemd-analyze", "calendar", "Mon *-*-* 25:00:00").Code);
    }

    /// <summary>
    /// systemd-analyze verify loads the units as the manager would. It needs the executables to exist, so the command is
    /// /bin/echo with hostile arguments. A misspelt key only warns, so stderr must be silent about our files.
    /// </summary>
    [SkippableFact]
    public void Systemd_analyze_verify_accepts_the_units()
    {
        Cli.Require("systemd-analyze");
        using var dir = new TempDir();
        var command = new ScheduledCommand("/bin/echo", [.. Examples.Hostile(dir["pwned"]), .. Examples.LineBreaks]);
        var paths = new List<string>();
        foreach (var (name, spec) in new[] { ("nightly", Examples.Daily), ("weekly", Examples.Weekly), ("hourly", Examples.Hourly), ("office-hours", Examples.Custom) })
        {
            var units = Systemd.Render(new ScheduleDefinition(name, spec, command, true), userUnit: false);
            foreach (var (file, content) in units.Files)
            {
                File.WriteAllText(dir[file], content);
                paths.Add(dir[file]);
            }
        }

        var (code, output, error) = Cli.Run("systemd-analyze", ["verify", .. paths]);
        Assert.True(code == 0, output + error);
        var complaints = (output + error).Split('\n').Where(l => l.Contains("sqlitebackup-", StringComparison.Ordinal)).ToList();
        Assert.True(complaints.Count == 0, string.Join("\n", complaints));
    }

    [SkippableFact]
    public void Systemd_analyze_verify_would_catch_a_misspelt_key()
    {
        // Guards the check above: a misspelt key only warns, and the warning names the file.
        Cli.Require("systemd-analyze");
        using var dir = new TempDir();
        string service = Systemd.Render(Nightly(), false).Service.Replace("Type=oneshot", "Tpye=oneshot", StringComparison.Ordinal)
            .Replace("/usr/bin/pwsh", "/bin/echo", StringComparison.Ordinal);
        File.WriteAllText(dir["sqlitebackup-nightly.service"], service);
        var (_, output, error) = Cli.Run("systemd-analyze", "verify", dir["sqlitebackup-nightly.service"]);
        Assert.Contains("Tpye", output + error);
    }

    /// <summary>
    /// The strongest check: a real systemd (user manager) runs the rendered service and the shutdown unit's stop, and
    /// the program receives exactly the hostile arguments, line breaks and control characters included.
    /// </summary>
    [SkippableFact]
    public void Systemd_runs_the_units_with_the_exact_arguments()
    {
        UserSystemd.SkipUnlessAvailable();
        using var dir = new TempDir();
        string[] args = [.. Examples.Hostile(dir["pwned"]), .. Examples.LineBreaks, "\a\x01\x1f\x7f", "\u0085"];
        string[] shutdownArgs = ["-Type", "Shutdown", .. args];
        var d = new ScheduleDefinition("hostile", Examples.Daily,
            new ScheduledCommand(UserSystemd.ArgvDumper(dir, "dump-job", dir["job.out"]), args), true,
            new ScheduledCommand(UserSystemd.ArgvDumper(dir, "dump-shutdown", dir["shutdown.out"]), shutdownArgs));
        var units = Systemd.Render(d, userUnit: true);

        string log = UserSystemd.Run(dir, units.Files,
            $"start {Systemd.ServiceName("hostile")}",
            $"start {Systemd.ShutdownServiceName("hostile")}",
            $"is-active {Systemd.ShutdownServiceName("hostile")}",
            $"stop {Systemd.ShutdownServiceName("hostile")}",
            $"start {Systemd.TimerName("hostile")}",
            $"is-active {Systemd.TimerName("hostile")}");

        Assert.True(File.Exists(dir["job.out"]), log);
        Assert.Equal(args, UserSystemd.ReadArgv(dir["job.out"]));
        Assert.True(File.Exists(dir["shutdown.out"]), log);
        Assert.Equal(shutdownArgs, UserSystemd.ReadArgv(dir["shutdown.out"]));
        Assert.DoesNotContain("exit 1", log);
        Assert.Equal(2, log.Split('\n').Count(l => l == "active"));
        Assert.False(File.Exists(dir["pwned"]));
    }
}
