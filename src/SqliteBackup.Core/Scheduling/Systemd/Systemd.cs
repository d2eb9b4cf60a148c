using System.Globalization;
using System.Text;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// systemd units for a schedule: a oneshot service that runs the command, a timer that starts it, and for a shutdown
/// backup a service whose stop runs the command. System units go in /etc/systemd/system, user units in
/// ~/.config/systemd/user (a user's timers run while they are logged in, or always after <c>loginctl enable-linger</c>).
/// Registration (daemon-reload, enable --now) is the caller's; here is only the text.
/// </summary>
public static class Systemd
{
    /// <summary>How long a shutdown backup may hold up the shutdown before systemd kills it (default would be 90 s).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromMinutes(10);

    public static string ServiceName(string name) => $"sqlitebackup-{Checked(name)}.service";
    public static string TimerName(string name) => $"sqlitebackup-{Checked(name)}.timer";
    public static string ShutdownServiceName(string name) => $"sqlitebackup-{Checked(name)}-shutdown.service";

    /// <exception cref="ArgumentException">The executable is not an absolute path, or holds a quote, backslash or control
    /// character (systemd refuses such executable names).</exception>
    public static SystemdUnits Render(ScheduleDefinition definition, bool userUnit)
    {
        ArgumentNullException.ThrowIfNull(definition);
        string name = definition.Name;

        string service = new StringBuilder()
            .Append(Header(name))
            .Append("[Unit]\n")
            .Append("Description=SqliteBackup job ").Append(name).Append('\n')
            .Append('\n')
            .Append("[Service]\n")
            .Append("Type=oneshot\n")
            .Append("ExecStart=").Append(CommandLine(definition.Command)).Append('\n')
            .ToString();

        // Persistent= runs a start that was missed while the machine was off as soon as the timer is active again.
        string timer = new StringBuilder()
            .Append(Header(name))
            .Append("[Unit]\n")
            .Append("Description=Schedule of SqliteBackup job ").Append(name).Append(" (").Append(definition.Schedule).Append(")\n")
            .Append('\n')
            .Append("[Timer]\n")
            .Append("OnCalendar=").Append(definition.Schedule.ToSystemdOnCalendar()).Append('\n')
            .Append("Persistent=true\n")
            .Append("Unit=").Append(ServiceName(name)).Append('\n')
            .Append('\n')
            .Append("[Install]\n")
            .Append("WantedBy=timers.target\n")
            .ToString();

        string? shutdown = definition.EffectiveShutdownCommand is { } stop ? ShutdownService(name, stop, userUnit) : null;
        return new SystemdUnits(name, service, timer, shutdown);
    }

    /// <summary>
    /// The standard "run at shutdown" unit: started (with no ExecStart=, which systemd allows for oneshot) and left
    /// active, so that stopping it, which happens at shutdown, runs ExecStop=. DefaultDependencies stay on on purpose:
    /// they order the unit after basic.target, hence after local-fs.target, and stop order is the reverse of start
    /// order, so the backup runs before file systems are unmounted. DefaultDependencies=no would lose exactly that.
    /// After= network and remote file systems keeps them up too, for destinations on NFS/SMB or off-site copies.
    /// A user manager has neither target: its units stop when the user's last session ends (or at shutdown with
    /// lingering), before the system unmounts anything. Note for registration: `systemctl enable --now` is needed
    /// (enable alone leaves it inactive until the next boot), and stopping or disabling the unit runs the backup once.
    /// </summary>
    static string ShutdownService(string name, ScheduledCommand command, bool userUnit)
    {
        var sb = new StringBuilder()
            .Append(Header(name))
            .Append("[Unit]\n")
            .Append("Description=SqliteBackup job ").Append(name).Append(" at shutdown\n");
        if (!userUnit) sb.Append("After=local-fs.target remote-fs.target network.target\n");
        return sb
            .Append('\n')
            .Append("[Service]\n")
            .Append("Type=oneshot\n")
            .Append("RemainAfterExit=yes\n")
            .Append("ExecStop=").Append(CommandLine(command)).Append('\n')
            .Append("TimeoutStopSec=").Append(((int)ShutdownTimeout.TotalMinutes).ToString(CultureInfo.InvariantCulture)).Append("min\n")
            .Append('\n')
            .Append("[Install]\n")
            .Append("WantedBy=").Append(userUnit ? "default.target" : "multi-user.target").Append('\n')
            .ToString();
    }

    /// <summary>
    /// The drop-in that takes a Shutdown backup each time <see cref="ServiceStopDefinition.Service"/> stops (for any reason:
    /// systemctl stop, a restart, a crash). ExecStopPost= runs after the service's processes are gone, so the backup sees
    /// a database nobody writes. It runs under coreutils' timeout: SIGTERM at <see cref="ServiceStopDefinition.TerminateAfter"/>,
    /// SIGKILL at the bound, so a stuck backup cannot hold up a restart beyond it (the job itself gives up earlier,
    /// cleanly, and logs and alerts why). The '-' prefix keeps our failure out of the service's own result: a failed
    /// backup must not make systemd treat the application as failed (or trigger its Restart=on-failure); the job reports
    /// it instead. In a system unit '+' runs the job with full privileges, like the schedule's timer (as root), not as
    /// the service's User=, so its backups, log and lock keep one owner. systemd runs ExecStopPost= within the unit's own
    /// TimeoutStopSec= (90 s by default): keep the bound below it.
    /// </summary>
    /// <param name="timeoutProgram">The absolute path of coreutils' timeout (usually /usr/bin/timeout).</param>
    /// <exception cref="ArgumentException">The service is not a service unit name, or the command cannot be written.</exception>
    public static string RenderServiceDropIn(ServiceStopDefinition definition, bool userUnit, string timeoutProgram)
    {
        ArgumentNullException.ThrowIfNull(definition);
        string unit = ServiceUnit(definition.Service);
        var inv = CultureInfo.InvariantCulture;
        var wrapped = new ScheduledCommand(timeoutProgram,
            [$"--kill-after={((int)definition.KillGrace.TotalSeconds).ToString(inv)}", ((int)definition.TerminateAfter.TotalSeconds).ToString(inv),
             definition.Command.Executable, .. definition.Command.Arguments]);
        return new StringBuilder()
            .Append("# Written by SqliteBackup for the schedule '").Append(definition.Name).Append("': a Shutdown backup each time ").Append(unit)
            .Append(" stops, never holding it up more than ").Append(((int)definition.Bound.TotalSeconds).ToString(inv)).Append(" s.\n")
            .Append("# Unregister-BackupSchedule -Name ").Append(definition.Name).Append(" removes this file; registering the schedule again replaces it.\n")
            .Append("[Service]\n")
            .Append("ExecStopPost=").Append(userUnit ? "-" : "-+").Append(CommandLine(wrapped)).Append('\n')
            .ToString();
    }

    public static string DropInFileName(string name) => $"sqlitebackup-{Checked(name)}.conf";

    /// <summary>&lt;unit directory&gt;/&lt;unit&gt;.d/sqlitebackup-&lt;name&gt;.conf</summary>
    public static string DropInPath(string unitDirectory, ServiceStopDefinition definition) =>
        Path.Combine(unitDirectory, ServiceUnit(definition.Service) + ".d", DropInFileName(definition.Name));

    /// <summary>
    /// A service unit name as systemd spells it (systemd.unit(5)): letters, digits and ":-_.@\", ending in .service,
    /// which is added to a bare name ("app" is app.service). Anything else could climb out of the drop-in folder or
    /// name another kind of unit, where ExecStopPost= means nothing; a leading '-' would read as an option to systemctl.
    /// </summary>
    /// <exception cref="ArgumentException">Not a service unit name; the message says why.</exception>
    public static string ServiceUnit(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        string unit = service.Contains('.', StringComparison.Ordinal) ? service : service + ".service";
        string? problem =
            unit.Length > 255 ? "it is longer than 255 characters"
            : unit.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is ':' or '-' or '_' or '.' or '@' or '\\')) is var bad and not '\0' ? $"{(char.IsControl(bad) ? CommandText.Describe(bad) : $"'{bad}'")} is not allowed in a unit name"
            : !unit.EndsWith(".service", StringComparison.Ordinal) || unit.Length == ".service".Length ? "it is not a service (a name ending in .service); only services have a stop to run a backup after"
            : unit.StartsWith('-') || unit.StartsWith('.') ? "it must start with a letter or digit"
            : null;
        return problem == null ? unit : throw new ArgumentException($"'{service}' is not a systemd service name: {problem}.", "definition");
    }

    /// <summary>
    /// A time span as systemctl show prints it ("1min 30s", "90s", "500ms", "infinity"); null for infinity or anything
    /// not understood, so an unknown form never produces a wrong warning.
    /// </summary>
    public static TimeSpan? ParseTimeSpan(string text)
    {
        var total = TimeSpan.Zero;
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return null;
        foreach (var part in parts)
        {
            int i = 0;
            while (i < part.Length && (char.IsAsciiDigit(part[i]) || part[i] == '.')) i++;
            if (i == 0 || !double.TryParse(part[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out double n)) return null;
            double? seconds = part[i..] switch
            {
                "us" => n / 1e6, "ms" => n / 1e3, "s" or "" => n, "min" => n * 60, "h" => n * 3600, "d" => n * 86400,
                _ => null,
            };
            if (seconds is null) return null;
            total += TimeSpan.FromSeconds(seconds.Value);
        }
        return total;
    }

    static string Header(string name) =>
        $"# Written by SqliteBackup for the schedule '{name}'; registering the schedule again replaces this file.\n";

    static string Checked(string name)
    {
        ScheduleDefinition.ValidateName(name);
        return name;
    }

    /// <summary>
    /// An Exec*= value whose words systemd hands to the program unchanged. systemd first expands % specifiers over the
    /// whole line, then splits it into words, removing quotes and C escapes (systemd.syntax(7) "Quoting"), then replaces
    /// $NAME and ${NAME} in the arguments, but not in the executable path, where '$' is literal. So every word is put in
    /// double quotes with '\' and '"' escaped, '%' doubled, and, in arguments only, '$' doubled; control characters are
    /// written as C escapes (\n, \t, \r, \xHH), which systemd turns back into the characters. A quoted ';' is an argument,
    /// not a command separator (systemd only separates on a bare ';').
    /// </summary>
    internal static string CommandLine(ScheduledCommand command)
    {
        string exe = command.Executable;
        CommandText.RequirePosixAbsolute(exe, "systemd");
        int bad = exe.IndexOfAny(['"', '\'', '\\']);
        if (bad < 0) bad = CommandText.IndexOfControl(exe);
        if (bad >= 0)
            throw new ArgumentException($"systemd refuses an executable path containing {(char.IsControl(exe[bad]) ? CommandText.Describe(exe[bad]) : $"'{exe[bad]}'")}; install the program at a plainer path or link to it.", "definition");

        var sb = new StringBuilder();
        Quote(sb, exe, isExecutable: true);
        foreach (string arg in command.Arguments) Quote(sb.Append(' '), arg, isExecutable: false);
        return sb.ToString();
    }

    static void Quote(StringBuilder sb, string value, bool isExecutable)
    {
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '%': sb.Append("%%"); break;
                case '$' when !isExecutable: sb.Append("$$"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\t': sb.Append(@"\t"); break;
                case '\r': sb.Append(@"\r"); break;
                case < ' ' or '\x7f': sb.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
