using System.Globalization;
using SqliteBackup.Core.Backups;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// A backup each time an application's service stops (not only when the machine does). The backup must never hold up
/// the service's restart beyond <see cref="Bound"/>: the job gives itself <see cref="JobTimeLimit"/> (three quarters of
/// it, and at least <see cref="WrapUp"/> before SIGTERM), counted from the start of its process, and then abandons the
/// backup cleanly, logging and alerting why; whatever still runs is sent SIGTERM at <see cref="TerminateAfter"/> and
/// killed at the bound.
/// </summary>
public sealed record ServiceStopDefinition
{
    /// <summary>
    /// The least timeout can enforce. What a user may register is more (<see cref="Jobs.ServiceStopConfig.MinimumStopTimeoutSec"/>,
    /// checked where the bound is given): pwsh's start and the module's load alone take 3-7 s of the bound, the job then
    /// needs a few seconds to back up and <see cref="WrapUp"/> to report, or it is killed before it can say it gave up.
    /// </summary>
    public static readonly TimeSpan MinimumBound = TimeSpan.FromSeconds(2);
    /// <summary>What the job keeps, after giving up, to abandon the backup, log JobTimedOut, alert and exit before SIGTERM.</summary>
    public static readonly TimeSpan WrapUp = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(60);

    /// <param name="service">The service as its scheduler names it: a systemd unit (".service" may be left off, see
    /// <see cref="Systemd.ServiceUnit"/>), or on Windows the display name that event 7036 carries.</param>
    /// <exception cref="ArgumentException">The name is not a usable schedule name, the service is empty, or the bound is under <see cref="MinimumBound"/>.</exception>
    public ServiceStopDefinition(string name, string service, ScheduledCommand command, TimeSpan bound)
    {
        ScheduleDefinition.ValidateName(name);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(command);
        if (bound < MinimumBound) throw new ArgumentException($"The time a backup may hold up the service's stop must be at least {MinimumBound.TotalSeconds} s, not {bound.TotalSeconds} s.", nameof(bound));
        Name = name;
        Service = service.Length > 0 ? service : throw new ArgumentException("The service name is empty.", nameof(service));
        Command = command;
        Bound = TimeSpan.FromSeconds(Math.Floor(bound.TotalSeconds));
    }

    public string Name { get; }
    public string Service { get; }
    public ScheduledCommand Command { get; }
    public TimeSpan Bound { get; }

    /// <summary>Between the polite SIGTERM and the SIGKILL: a sixth of the bound, 1-5 s.</summary>
    public TimeSpan KillGrace => TimeSpan.FromSeconds(Math.Clamp((int)Bound.TotalSeconds / 6, 1, 5));
    public TimeSpan TerminateAfter => Bound - KillGrace;
    /// <summary>The job's own limit, leaving the rest of the bound for logging and alerting that it gave up.</summary>
    public TimeSpan JobTimeLimit => JobLimitFor(Bound);

    static TimeSpan JobLimitFor(TimeSpan bound)
    {
        int b = (int)Math.Floor(bound.TotalSeconds);
        int terminateAfter = b - Math.Clamp(b / 6, 1, 5);
        return TimeSpan.FromSeconds(Math.Max(1, Math.Min(b * 3 / 4, terminateAfter - (int)WrapUp.TotalSeconds)));
    }

    /// <summary>
    /// &lt;schedule name&gt;-&lt;service&gt;: the service's name without .service, and, when a character had to become '-' or
    /// the name had to be cut to fit 64, a short hash of the service's name too, so that worker@1 and worker-1 never share
    /// a registration (the second would silently replace the first).
    /// </summary>
    public static string RegistrationName(string scheduleName, string service)
    {
        string unit = service.EndsWith(".service", StringComparison.Ordinal) ? service[..^".service".Length] : service;
        string stem = new string(unit.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray()).Trim('-', '.');
        if (stem.Length == 0) stem = "service";
        string name = $"{scheduleName}-{stem}";
        if (stem == unit && name.Length <= ScheduleDefinition.MaxNameLength) return name;
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(unit)))[..6].ToLowerInvariant();
        int room = ScheduleDefinition.MaxNameLength - hash.Length - 1;
        return (name.Length <= room ? name : name[..room].TrimEnd('-', '.')) + "-" + hash;
    }

    /// <summary>Two registrations under one name would be one replacing the other: refused before anything is written.</summary>
    /// <exception cref="ArgumentException">Two of them share a name (the same service given twice, or -Name with several).</exception>
    public static void CheckDistinct(IEnumerable<ServiceStopDefinition> stops)
    {
        foreach (var same in stops.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            throw new ArgumentException($"The services {string.Join(" and ", same.Select(s => $"'{s.Service}'"))} would share the registration '{same.Key}', the second replacing the first: give each service once.");
    }

    /// <summary>What the job command gets appended so that it takes a Shutdown backup within its share of the bound.</summary>
    public static IReadOnlyList<string> JobArguments(TimeSpan bound) =>
        ["-Type", nameof(BackupType.Shutdown), "-TimeoutSec", ((int)JobLimitFor(bound).TotalSeconds).ToString(CultureInfo.InvariantCulture)];
}
