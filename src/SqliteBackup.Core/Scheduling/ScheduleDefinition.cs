namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// A named schedule: when, what, and whether to also run a backup when the machine shuts down. The name ends up in file
/// names, unit names, task names, launchd labels and crontab markers, so it is held to characters all of them accept.
/// </summary>
public sealed record ScheduleDefinition
{
    public const int MaxNameLength = 64;

    /// <exception cref="ArgumentException">The name is not usable (see <see cref="ValidateName"/>), or a shutdown
    /// command is given without <paramref name="backupOnShutdown"/>.</exception>
    public ScheduleDefinition(string name, ScheduleSpec schedule, ScheduledCommand command, bool backupOnShutdown = false, ScheduledCommand? shutdownCommand = null)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(command);
        if (shutdownCommand is not null && !backupOnShutdown)
            throw new ArgumentException("A shutdown command was given but BackupOnShutdown is false; set it, or drop the shutdown command.", nameof(shutdownCommand));
        Name = name;
        Schedule = schedule;
        Command = command;
        BackupOnShutdown = backupOnShutdown;
        ShutdownCommand = shutdownCommand;
    }

    public string Name { get; }
    public ScheduleSpec Schedule { get; }
    public ScheduledCommand Command { get; }
    public bool BackupOnShutdown { get; }
    /// <summary>What runs at shutdown; null means <see cref="Command"/>.</summary>
    public ScheduledCommand? ShutdownCommand { get; }

    /// <summary>The command the shutdown hook runs, or null when there is no shutdown backup.</summary>
    public ScheduledCommand? EffectiveShutdownCommand => BackupOnShutdown ? ShutdownCommand ?? Command : null;

    /// <summary>
    /// 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit (a leading '-' reads as an option to systemctl and
    /// schtasks; '.' and '..' are path components), not ending in '.' (Windows drops it from file names, so two names
    /// would collide), and not a Windows device name such as CON or NUL (the task is stored as a file of that name).
    /// </summary>
    /// <exception cref="ArgumentException">The name breaks one of these rules; the message says which.</exception>
    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string? problem = NameProblem(name);
        if (problem is not null)
            throw new ArgumentException($"The schedule name '{name}' is not usable: {problem}.", nameof(name));
    }

    public static bool IsValidName(string? name) => name is not null && NameProblem(name) is null;

    static string? NameProblem(string name)
    {
        if (name.Length == 0) return "it is empty";
        if (name.Length > MaxNameLength) return $"it is {name.Length} characters long, more than {MaxNameLength}";
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return $"'{c}' is not allowed; use only letters A-Z, digits, '.', '_' and '-'";
        if (!char.IsAsciiLetterOrDigit(name[0])) return "it must start with a letter or digit";
        if (name.EndsWith('.')) return "it must not end with '.'";
        string stem = name.Split('.')[0].ToUpperInvariant();
        if (stem is "CON" or "PRN" or "AUX" or "NUL"
            || (stem.Length == 4 && (stem.StartsWith("COM", StringComparison.Ordinal) || stem.StartsWith("LPT", StringComparison.Ordinal)) && stem[3] is >= '1' and <= '9'))
            return $"'{stem}' is a reserved device name on Windows";
        return null;
    }
}
