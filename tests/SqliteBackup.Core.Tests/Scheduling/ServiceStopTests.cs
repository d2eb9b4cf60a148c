using System.Diagnostics;
using System.Xml.Linq;
using SqliteBackup.Core.Scheduling;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>A backup each time an application's service stops: the systemd drop-in and the Task Scheduler task.</summary>
public sealed class ServiceStopTests
{
    static readonly XNamespace T = WindowsTaskScheduler.Namespace;

    /// <summary>The job as Register-BackupSchedule -Service writes it: a Shutdown backup within three quarters of the bound.</summary>
    static readonly ScheduledCommand PosixJob = new(Examples.Posix.Executable, [.. Examples.Posix.Arguments, .. ServiceStopDefinition.JobArguments(TimeSpan.FromSeconds(60))]);
    static readonly ScheduledCommand WindowsJob = new(Examples.Windows.Executable, [.. Examples.Windows.Arguments, .. ServiceStopDefinition.JobArguments(TimeSpan.FromSeconds(60))]);

    static ServiceStopDefinition AppStop(ScheduledCommand? command = null, string service = "app.service", int boundSec = 60) =>
        new("app-stop", service, command ?? PosixJob, TimeSpan.FromSeconds(boundSec));

    [Fact]
    public void Drop_in_and_task_match_golden_files()
    {
        Golden.Match("sqlitebackup-app-stop.conf", Systemd.RenderServiceDropIn(AppStop(), userUnit: false, "/usr/bin/timeout"));
        Golden.Match("user-sqlitebackup-app-stop.conf", Systemd.RenderServiceDropIn(AppStop(), userUnit: true, "/usr/bin/timeout"));
        Golden.Match("task-service-stop.xml", WindowsTaskScheduler.RenderServiceStopTaskXml(new("app-stop", "My App Service", WindowsJob, TimeSpan.FromSeconds(60))));
    }

    [Fact]
    public void The_job_gets_three_quarters_of_the_bound_and_timeout_kills_at_the_bound()
    {
        var d = AppStop(boundSec: 60);
        Assert.Equal(TimeSpan.FromSeconds(45), d.JobTimeLimit);
        Assert.Equal(["-Type", "Shutdown", "-TimeoutSec", "45"], ServiceStopDefinition.JobArguments(d.Bound));
        var argv = SystemdExecLine.Parse(ExecStopPost(Systemd.RenderServiceDropIn(d, false, "/usr/bin/timeout")).TrimStart('-', '+'));
        // TERM at 55 s, KILL 5 s later: nothing of ours outlives the 60 s bound.
        Assert.Equal(["/usr/bin/timeout", "--kill-after=5", "55"], argv[..3]);
        Assert.Equal(PosixJob.Executable, argv[3]);
        Assert.Equal(["-Type", "Shutdown", "-TimeoutSec", "45"], argv[^4..]);
        Assert.Throws<ArgumentException>(() => AppStop(boundSec: 1));
    }

    [Fact]
    public void Registration_names_keep_services_apart_that_differ_only_in_characters_a_name_cannot_hold()
    {
        Assert.Equal("cfg-app", ServiceStopDefinition.RegistrationName("cfg", "app.service"));
        Assert.Equal("cfg-app", ServiceStopDefinition.RegistrationName("cfg", "app"));
        Assert.Equal("cfg-worker-1", ServiceStopDefinition.RegistrationName("cfg", "worker-1.service"));
        string at = ServiceStopDefinition.RegistrationName("cfg", "worker@1.service");
        Assert.Matches("^cfg-worker-1-[0-9a-f]{6}$", at);
        Assert.Equal(at, ServiceStopDefinition.RegistrationName("cfg", "worker@1"));
        string longA = ServiceStopDefinition.RegistrationName("cfg", new string('a', 80) + "-x"), longB = ServiceStopDefinition.RegistrationName("cfg", new string('a', 80) + "-y");
        Assert.NotEqual(longA, longB);
        Assert.All([at, longA, longB], n => Assert.True(n.Length <= ScheduleDefinition.MaxNameLength, n));
        Assert.Throws<ArgumentException>(() => ServiceStopDefinition.CheckDistinct([AppStop(service: "app"), AppStop(service: "app.service")]));
    }

    [Theory]
    [InlineData(15)]
    [InlineData(20)]
    [InlineData(30)]
    [InlineData(3600)]
    public void The_job_gives_up_at_least_five_seconds_before_SIGTERM_so_it_can_log_and_alert(int boundSec)
    {
        var d = AppStop(boundSec: boundSec);
        Assert.True(d.TerminateAfter - d.JobTimeLimit >= TimeSpan.FromSeconds(5), $"limit {d.JobTimeLimit}, TERM at {d.TerminateAfter}");
        Assert.True(d.JobTimeLimit >= TimeSpan.FromSeconds(8), $"limit {d.JobTimeLimit}: pwsh and the module alone take 3-7 s");
    }

    [Theory]
    [InlineData("app", "app.service")]
    [InlineData("app.service", "app.service")]
    [InlineData("my-app@2.service", "my-app@2.service")]
    [InlineData("worker_1.service", "worker_1.service")]
    public void Names_the_unit_and_its_drop_in(string given, string unit)
    {
        var d = AppStop(service: given);
        Assert.Equal(unit, Systemd.ServiceUnit(d.Service));
        Assert.Equal(Path.Combine("/etc/systemd/system", unit + ".d", "sqlitebackup-app-stop.conf"), Systemd.DropInPath("/etc/systemd/system", d));
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a b.service")]
    [InlineData("app.service\n[Service]")]
    [InlineData("-app.service")]
    [InlineData("app.timer")]
    public void Refuses_names_that_are_no_service_unit(string service) =>
        Assert.Throws<ArgumentException>(() => Systemd.RenderServiceDropIn(AppStop(service: service), false, "/usr/bin/timeout"));

    [Theory]
    [InlineData("1min 30s", 90.0)]
    [InlineData("90s", 90.0)]
    [InlineData("500ms", 0.5)]
    [InlineData("2h", 7200.0)]
    [InlineData("infinity", null)]
    [InlineData("", null)]
    public void Reads_the_stop_timeout_as_systemctl_shows_it(string shown, double? seconds) =>
        Assert.Equal(seconds, Systemd.ParseTimeSpan(shown)?.TotalSeconds);

    static string ExecStopPost(string dropIn) =>
        dropIn.Split('\n').Single(l => l.StartsWith("ExecStopPost=", StringComparison.Ordinal))["ExecStopPost=".Length..];

    [Fact]
    public void Hostile_arguments_round_trip_through_the_drop_in()
    {
        string[] args = [.. Examples.Hostile("/tmp/pwned"), .. Examples.LineBreaks];
        var command = new ScheduledCommand("/opt/My App %x $HOME/bin;`x`/é", args);
        string exec = ExecStopPost(Systemd.RenderServiceDropIn(AppStop(command), false, "/usr/bin/timeout"));
        Assert.StartsWith("-+", exec);
        var argv = SystemdExecLine.Parse(exec[2..]);
        Assert.Equal(command.Executable, argv[3]);
        Assert.Equal(args, argv[4..]);
    }

    [Fact]
    public void The_service_task_triggers_on_event_7036_for_that_service_stopping()
    {
        var xml = WindowsTaskScheduler.RenderServiceStopTaskXml(new("app-stop", "O'Brien \"Svc\" & <x>", Examples.WindowsShutdown, TimeSpan.FromSeconds(90)));
        var doc = XDocument.Parse(xml);
        var select = XDocument.Parse(doc.Descendants(T + "EventTrigger").Single().Element(T + "Subscription")!.Value).Descendants("Select").Single();
        Assert.Equal("System", select.Attribute("Path")!.Value);
        Assert.Contains("Provider[@Name='Service Control Manager'] and EventID=7036", select.Value);
        Assert.Contains("Data[@Name='param1']=concat('O',\"'\",'Brien \"Svc\" & <x>')", select.Value);
        Assert.Contains("Data[@Name='param2']='stopped'", select.Value);
        Assert.Equal("PT1M30S", doc.Descendants(T + "ExecutionTimeLimit").Single().Value);
        Assert.Equal(@"\SqliteBackup\app-stop", doc.Descendants(T + "URI").Single().Value);
    }

    /// <summary>systemd itself loads the drop-in beside a real unit: a misspelt key would be reported against the file.</summary>
    [SkippableFact]
    public void Systemd_analyze_verify_accepts_the_drop_in_beside_a_real_unit()
    {
        Cli.Require("systemd-analyze");
        using var dir = new TempDir();
        File.WriteAllText(dir["app.service"], "[Unit]\nDescription=An application\n\n[Service]\nExecStart=/bin/sleep 1000\n");
        var command = new ScheduledCommand("/bin/echo", [.. Examples.Hostile(dir["pwned"]), .. Examples.LineBreaks]);
        string dropIn = Systemd.DropInPath(dir.Path, AppStop(command));
        Directory.CreateDirectory(Path.GetDirectoryName(dropIn)!);
        File.WriteAllText(dropIn, Systemd.RenderServiceDropIn(AppStop(command), false, Cli.Which("timeout")));
        File.AppendAllText(dropIn, "Tpye=guard\n");

        var psi = new ProcessStartInfo("systemd-analyze", ["verify", dir["app.service"]]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["SYSTEMD_UNIT_PATH"] = dir.Path + ":";
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, output);
        // The guard line proves the drop-in was read; nothing else of ours may be complained about.
        Assert.Contains("Tpye", output);
        var complaints = output.Split('\n').Where(l => l.Contains("sqlitebackup-", StringComparison.Ordinal) && !l.Contains("Tpye", StringComparison.Ordinal)).ToList();
        Assert.True(complaints.Count == 0, string.Join("\n", complaints));
    }

    /// <summary>
    /// A real systemd (user manager in a private namespace): stopping the application runs our ExecStopPost with the exact
    /// arguments; and a backup that overruns is killed at the bound, so the stop (hence a restart) waits no longer.
    /// </summary>
    [SkippableFact]
    public void Systemd_runs_the_drop_in_when_the_service_stops_and_never_waits_past_the_bound()
    {
        UserSystemd.SkipUnlessAvailable();
        using var dir = new TempDir();
        string[] args = [.. Examples.Hostile(dir["pwned"]), "\a\x01", "-Type", "Shutdown"];
        var dump = new ServiceStopDefinition("app-stop", "app.service", new ScheduledCommand(UserSystemd.ArgvDumper(dir, "dump", dir["stop.out"]), args), TimeSpan.FromSeconds(30));
        var slow = new ServiceStopDefinition("slow-stop", "slow.service", new ScheduledCommand("/bin/sleep", ["120"]), TimeSpan.FromSeconds(3));
        string unit = "[Unit]\nDescription=An application\n\n[Service]\nExecStart=/bin/sleep 1000\n";
        string timeout = Cli.Which("timeout");
        var clock = Stopwatch.StartNew();
        string log = UserSystemd.Run(dir,
            [("app.service", unit), ("app.service.d/sqlitebackup-app-stop.conf", Systemd.RenderServiceDropIn(dump, true, timeout)),
             ("slow.service", unit), ("slow.service.d/sqlitebackup-slow-stop.conf", Systemd.RenderServiceDropIn(slow, true, timeout))],
            "start app.service", "stop app.service", "start slow.service", "stop slow.service", "is-active slow.service");
        clock.Stop();

        Assert.True(File.Exists(dir["stop.out"]), log);
        Assert.Equal(args, UserSystemd.ReadArgv(dir["stop.out"]));
        Assert.False(File.Exists(dir["pwned"]));
        Assert.Contains("inactive", log);
        // The manager's start-up and the first stop take a second or two; a 120 s sleep would take 120.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{clock.Elapsed}\n{log}");
    }

    /// <summary>
    /// End to end: the real job, with the built module and PowerShell from the repository's tool manifest, run by a real
    /// systemd when the application's service stops, leaves a verified Shutdown backup. Skipped where the module has not
    /// been built (./build.ps1) or systemd cannot run here.
    /// </summary>
    [SkippableFact]
    public void Stopping_the_service_under_systemd_takes_a_verified_Shutdown_backup_with_the_real_job()
    {
        UserSystemd.SkipUnlessAvailable();
        string? script = FindUp("out/SqliteBackup/Start-SqliteBackupJob.ps1");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string? pwshDll = Directory.Exists(Path.Combine(home, ".nuget/packages/powershell"))
            ? Directory.GetFiles(Path.Combine(home, ".nuget/packages/powershell"), "pwsh.dll", SearchOption.AllDirectories)
                .Where(p => p.Contains("/unix/", StringComparison.Ordinal)).OrderDescending().FirstOrDefault()
            : null;
        Skip.If(script is null || pwshDll is null || !Cli.Has("dotnet"), "the module is not built, or PowerShell is not restored (dotnet tool restore)");

        using var dir = new TempDir();
        SampleDatabase.Create(dir["app.db"]);
        File.WriteAllText(dir["backup.json"], """{ "backup": { "databases": ["./app.db"], "backup_directory": "./backups" } }""");
        var bound = TimeSpan.FromSeconds(60);
        var job = new ScheduledCommand(Cli.Which("dotnet"), [pwshDll!, "-NoProfile", "-NonInteractive", "-File", script!, "-ConfigPath", dir["backup.json"], .. ServiceStopDefinition.JobArguments(bound)]);
        var stop = new ServiceStopDefinition("app-stop", "app", job, bound);
        string log = UserSystemd.Run(dir,
            // The job's own output goes to a file: no journal runs in the private namespace.
            [("app.service", $"[Unit]\nDescription=An application\n\n[Service]\nExecStart=/bin/sleep 1000\nStandardOutput=append:{dir["app.out"]}\nStandardError=append:{dir["app.out"]}\n"),
             ("app.service.d/" + Systemd.DropInFileName(stop.Name), Systemd.RenderServiceDropIn(stop, true, Cli.Which("timeout")))],
            "start app.service", "stop app.service", "status app.service --no-pager");

        string output = log + (File.Exists(dir["app.out"]) ? File.ReadAllText(dir["app.out"]) : "(no output)");
        Assert.True(Directory.Exists(dir["backups"]), output);
        var backup = Assert.Single(new BackupCatalog().List(dir["backups"]), b => b.Type == BackupType.Shutdown);
        Assert.True(backup.Verified, output);
        Assert.Contains(new Logging.JsonLinesLog(Path.Combine(dir["backups"], Logging.JsonLinesLog.DefaultFileName)).Read(), e => e.Event == "JobCompleted");
    }

    static string? FindUp(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, relative))) return Path.Combine(d.FullName, relative);
        return null;
    }
}
