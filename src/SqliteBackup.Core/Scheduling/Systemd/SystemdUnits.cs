namespace SqliteBackup.Core.Scheduling;

/// <summary>The unit files for one schedule: install each under its <see cref="Files"/> name.</summary>
public sealed record SystemdUnits(string Name, string Service, string Timer, string? ShutdownService)
{
    public IReadOnlyList<(string FileName, string Content)> Files =>
        ShutdownService is null
            ? [(Systemd.ServiceName(Name), Service), (Systemd.TimerName(Name), Timer)]
            : [(Systemd.ServiceName(Name), Service), (Systemd.TimerName(Name), Timer), (Systemd.ShutdownServiceName(Name), ShutdownService)];
}
