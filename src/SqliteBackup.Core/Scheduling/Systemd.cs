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
