using System.Management.Automation;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Scheduling;
using SqliteBackup.Core.Backups;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsLifecycle.Register, "BackupSchedule", SupportsShouldProcess = true, DefaultParameterSetName = ConfigSet)]
[OutputType(typeof(RegisteredSchedule))]
public sealed class RegisterBackupScheduleCommand : SqliteBackupCmdlet
{
    const string ConfigSet = "Config";
    const string DatabaseSet = "Database";
    const string LiteralDatabaseSet = "LiteralDatabase";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ConfigSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string ConfigPath { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = DatabaseSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = LiteralDatabaseSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>With -Path: the backup directory the configuration is written into. The one name for a backup location.</summary>
    [Parameter(ParameterSetName = DatabaseSet)]
    [Parameter(ParameterSetName = LiteralDatabaseSet)]
    [Alias("Destination", "BackupDirectory")]
    [ValidateNotNullOrEmpty]
    public string? BackupPath { get; set; }

    /// <summary>Completes to the registered names: registering under one replaces that schedule.</summary>
    [Parameter] [ValidatePattern(@"^[A-Za-z0-9._-]{1,64}$")] [ArgumentCompleter(typeof(ScheduleNameCompleter))] public string? Name { get; set; }
    [Parameter] [Alias("BackupTime")] [ValidatePattern(@"^([01]?\d|2[0-3]):[0-5]\d$")] public string? At { get; set; }
    [Parameter] public SwitchParameter Daily { get; set; }
    [Parameter] public SwitchParameter Weekly { get; set; }
    [Parameter] public DayOfWeek[]? DaysOfWeek { get; set; }
    [Parameter] public SwitchParameter Hourly { get; set; }
    [Parameter] [ValidateNotNullOrEmpty] public string? Cron { get; set; }
    [Parameter] public SchedulerKind Scheduler { get; set; } = SchedulerKind.Auto;

    /// <summary>Instead of a calendar schedule: a Shutdown backup each time these services stop (systemd units, or Windows display names).</summary>
    [Parameter] [ValidateNotNullOrEmpty] public string[]? Service { get; set; }

    /// <summary>The longest a backup may hold up the service's stop (and so its restart); the job gives up cleanly before.</summary>
    [Parameter] [ValidateRange(1, 3600)] public int StopTimeoutSec { get; set; } = ServiceStopConfig.DefaultStopTimeoutSec;

    protected override void EndProcessing()
    {
        try
        {
            // Everything is checked before anything is written: a configuration is only worth writing for a schedule
            // that can be registered, and -WhatIf shows both steps.
            var (config, section) = ParameterSetName != ConfigSet ? PlanConfig() : (ResolvePath(ConfigPath), null);
            var job = section != null ? BackupJobConfigFile.FromSection(config, section) : BackupJobConfigFile.Load(config);
            var backend = ScheduleBackends.For(Scheduler);
            if (Service != null)
            {
                if (!SupportsServiceStop(backend)) throw BackupErrors.ServiceStopNotSupported(backend.Kind.ToString(), Service[0]);
                if (Name != null && Service.Length > 1) throw new ArgumentException("-Name names one registration: give one -Service with it, or leave -Name out (each service then gets <name>-<service>).");
                var stops = Service.Select(s => ServiceStop(backend, config, Name ?? ServiceStopDefinition.RegistrationName(DefaultName(config), s), new ServiceStopConfig(s, StopTimeoutSec))).ToList();
                ServiceStopDefinition.CheckDistinct(stops);
                if (section != null && !ShouldProcess(config, "Write a backup configuration")) return;
                if (section != null) BackupJobConfigFile.Save(config, section, overwriteSection: true);
                foreach (var stop in stops) RegisterServiceStop(backend, config, stop);
                return;
            }
            bool shutdown = job.BackupOnShutdown && backend.Kind is SchedulerKind.Systemd or SchedulerKind.TaskScheduler;
            if (job.BackupOnShutdown && !shutdown)
                WriteWarning($"{backend.Kind} has no shutdown trigger: \"backup_on_shutdown\" is not scheduled. Use systemd or Task Scheduler for that, or run the job from your shutdown scripts.");
            // The machine's shutdown takes a Shutdown backup, not an Automatic one.
            var definition = new ScheduleDefinition(Name ?? DefaultName(config), Spec(job), JobCommand(config), shutdown,
                shutdown ? JobCommand(config, ["-Type", nameof(BackupType.Shutdown)]) : null);
            // The configuration's services are registrations of their own, <name>-<service>, each removable by name.
            bool services = job.Services.Count > 0 && SupportsServiceStop(backend);
            if (job.Services.Count > 0 && !services)
                WriteWarning($"{backend.Kind} has no trigger for a service's stop: \"services\" are not registered. Use systemd or Task Scheduler, or run Start-SqliteBackupJob.ps1 -Type Shutdown from each service's stop script.");
            var stopsFromConfig = services ? job.Services.Select(s => ServiceStop(backend, config, ServiceStopDefinition.RegistrationName(definition.Name, s.Name), s)).ToList() : [];
            ServiceStopDefinition.CheckDistinct(stopsFromConfig);
            bool write = section == null || ShouldProcess(config, "Write a backup configuration");
            if (!ShouldProcess($"{definition.Name} ({backend.Kind})", $"Run the backup job of '{config}' {definition.Schedule}") || !write)
            {
                // -WhatIf shows the services' registrations too (each ShouldProcess says no, so nothing is registered).
                foreach (var stop in stopsFromConfig) RegisterServiceStop(backend, config, stop);
                return;
            }
            if (section != null)
            {
                BackupJobConfigFile.Save(config, section, overwriteSection: true);
                WriteVerbose($"Configuration written to {config}");
            }
            backend.Register(definition);
            WriteObject(backend.List().FirstOrDefault(s => s.Name == definition.Name));
            foreach (var stop in stopsFromConfig) RegisterServiceStop(backend, config, stop);
        }
        catch (SqliteBackupException e) { Fail(e); }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Fail(Service != null ? BackupErrors.InvalidServiceStop(Name, e) : BackupErrors.InvalidSchedule(Name, e));
        }
    }

    static bool SupportsServiceStop(IScheduleBackend backend) => backend.Kind is SchedulerKind.Systemd or SchedulerKind.TaskScheduler;

    /// <summary>Checked in full (name, unit name, command) before anything is written.</summary>
    ServiceStopDefinition ServiceStop(IScheduleBackend backend, string config, string name, ServiceStopConfig service)
    {
        if (service.StopTimeoutSec < ServiceStopConfig.MinimumStopTimeoutSec) throw BackupErrors.StopTimeoutTooShort(service.Name, service.StopTimeoutSec);
        var bound = TimeSpan.FromSeconds(service.StopTimeoutSec);
        var definition = new ServiceStopDefinition(name, service.Name, JobCommand(config, ServiceStopDefinition.JobArguments(bound)), bound);
        if (backend.Kind == SchedulerKind.Systemd) Systemd.RenderServiceDropIn(definition, userUnit: false, "/usr/bin/timeout");
        return definition;
    }

    void RegisterServiceStop(IScheduleBackend backend, string config, ServiceStopDefinition stop)
    {
        string service = backend.Kind == SchedulerKind.Systemd ? Systemd.ServiceUnit(stop.Service) : stop.Service;
        if (!ShouldProcess($"{stop.Name} ({backend.Kind})",
                $"Back up the databases of '{config}' (Shutdown) each time {service} stops, holding it up at most {(int)stop.Bound.TotalSeconds} s")) return;
        foreach (var warning in backend.RegisterServiceStop(stop)) WriteWarning(warning);
        WriteObject(backend.List().FirstOrDefault(s => s.Name == stop.Name));
    }

    ScheduleSpec Spec(BackupJobConfig job)
    {
        int chosen = new[] { Daily.IsPresent, Weekly.IsPresent, Hourly.IsPresent, Cron != null }.Count(x => x);
        if (chosen > 1) throw new ArgumentException("Choose one of -Daily, -Weekly, -Hourly and -Cron.");
        var at = At != null ? TimeOnly.Parse(At, System.Globalization.CultureInfo.InvariantCulture) : job.BackupTime;
        if (Cron != null) return ScheduleSpec.FromCron(Cron);
        if (Hourly) return ScheduleSpec.Hourly(at.Minute);
        if (Weekly) return ScheduleSpec.Weekly(at, DaysOfWeek is { Length: > 0 } d ? d : [DayOfWeek.Sunday]);
        if (DaysOfWeek is { Length: > 0 }) throw new ArgumentException("-DaysOfWeek goes with -Weekly.");
        return ScheduleSpec.Daily(at);
    }

    /// <summary>
    /// An absolute, runnable command however pwsh was installed: its own executable, or dotnet running pwsh.dll from
    /// $PSHOME (a .NET tool). Paths are separate arguments to a script, never text inside a command string.
    /// </summary>
    ScheduledCommand JobCommand(string config, IReadOnlyList<string>? extra = null)
    {
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this pwsh process is unknown.");
        var args = new List<string>();
        if (System.IO.Path.GetFileNameWithoutExtension(exe).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            args.Add(System.IO.Path.Combine((string)SessionState.PSVariable.GetValue("PSHOME"), "pwsh.dll"));
        string script = System.IO.Path.Combine(MyInvocation.MyCommand.Module!.ModuleBase, "Start-SqliteBackupJob.ps1");
        args.AddRange(["-NoProfile", "-NonInteractive", "-File", script, "-ConfigPath", config]);
        if (extra != null) args.AddRange(extra);
        return new ScheduledCommand(exe, args);
    }

    /// <summary>Stable per configuration file, so registering the same file again replaces its schedule.</summary>
    static string DefaultName(string config)
    {
        string stem = new string(System.IO.Path.GetFileNameWithoutExtension(config).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(config)))[..8].ToLowerInvariant();
        return $"{(stem.Length > 40 ? stem[..40] : stem)}-{hash}";
    }

    /// <summary>-Path/-BackupPath without a configuration: the one to write into the backup directory for the user.</summary>
    (string File, JsonObject Section) PlanConfig()
    {
        var databases = ParameterSetName == LiteralDatabaseSet ? LiteralPath.Select(ResolvePath).ToList() : DatabaseFiles(Path);
        // A remote location is a URI taken as written, never a provider path. A job backs up into a local directory and
        // copies off-site, so the location becomes the job's destination (its configuration refuses a password or a
        // secret query in it) and the configuration lives in the local backups folder next to the database.
        bool remote = BackupPath != null && Core.Storage.StoreRegistry.IsRemote(BackupPath);
        string dir = BackupPath != null && !remote ? ResolvePath(BackupPath) : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(databases[0])!, "backups");
        string file = System.IO.Path.Combine(dir, "sqlitebackup.json");
        string Rel(string p) => System.IO.Path.GetRelativePath(dir, p).Replace('\\', '/');
        var section = new JsonObject
        {
            ["enabled"] = true,
            ["automatic_daily"] = true,
            ["backup_time"] = At ?? "02:00",
            ["backup_directory"] = ".",
            ["databases"] = new JsonArray(databases.Select(d => (JsonNode)JsonValue.Create(Rel(d))!).ToArray()),
        };
        if (remote) section["destinations"] = new JsonArray(JsonValue.Create(BackupPath));
        return (file, section);
    }
}
