using System.Globalization;
using SqliteBackup.Core.Backups;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// A backup each time an application's service stops (not only when the machine does). The backup must never hold up
/// the service's restart beyond <see cref="Bound"/>: the job gives itself <see cref="JobTimeLimit"/> (three quarters of
/// it) and then abandons the backup cleanly, logging and alerting why; whatever still runs is sent SIGTERM at
/// <see cref="TerminateAfter"/> and killed at the bound.
/// </summary>
public sealed record ServiceStopDefinition
{
    public static readonly TimeSpan MinimumBound = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(60);

    /// <param name="service">The service as its scheduler names it: a systemd unit (".service" may be left off, see
    /// <see cref="Systemd.ServiceUnit"/>), or on Windows the display name that event 7036 carries.</param>
    /// <exception cref="ArgumentException">The name is not a usable schedule name, the service is empty, or the bound is under 2 s.</exception>
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

    static TimeSpan JobLimitFor(TimeSpan bound) => TimeSpan.FromSeconds(Math.Max(1, (int)Math.Floor(bound.TotalSeconds) * 3 / 4));

    /// <summary>What the job command gets appended so that it takes a Shutdown backup within its share of the bound.</summary>
    public static IReadOnlyList<string> JobArguments(TimeSpan bound) =>
        ["-Type", nameof(BackupType.Shutdown), "-TimeoutSec", ((int)JobLimitFor(bound).TotalSeconds).ToString(CultureInfo.InvariantCulture)];
}
