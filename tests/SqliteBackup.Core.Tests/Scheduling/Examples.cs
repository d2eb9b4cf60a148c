using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>Schedules, commands and arguments shared by the scheduling tests.</summary>
public static class Examples
{
    /// <summary>
    /// The one realistic job used throughout, in the form the module's scheduler entry script documents:
    /// pwsh -NoProfile -NonInteractive -File &lt;module folder&gt;/Start-SqliteBackupJob.ps1 -ConfigPath &lt;absolute path&gt;.
    /// The configuration path is an argument of its own, never part of a command string.
    /// </summary>
    public static readonly ScheduledCommand Posix =
        Job("/usr/bin/pwsh", "/usr/local/share/powershell/Modules/SqliteBackup/Start-SqliteBackupJob.ps1", "/srv/app/backup.json");

    /// <summary>The shutdown backup is a job of its own, described by its own configuration file.</summary>
    public static readonly ScheduledCommand PosixShutdown =
        Job("/usr/bin/pwsh", "/usr/local/share/powershell/Modules/SqliteBackup/Start-SqliteBackupJob.ps1", "/srv/app/backup-shutdown.json");

    public static readonly ScheduledCommand Windows =
        Job(@"C:\Program Files\PowerShell\7\pwsh.exe", @"C:\Program Files\PowerShell\Modules\SqliteBackup\Start-SqliteBackupJob.ps1", @"C:\ProgramData\SqliteBackup\app.json");

    public static readonly ScheduledCommand WindowsShutdown =
        Job(@"C:\Program Files\PowerShell\7\pwsh.exe", @"C:\Program Files\PowerShell\Modules\SqliteBackup\Start-SqliteBackupJob.ps1", @"C:\ProgramData\SqliteBackup\app-shutdown.json");

    static ScheduledCommand Job(string pwsh, string script, string config) =>
        new(pwsh, ["-NoProfile", "-NonInteractive", "-File", script, "-ConfigPath", config]);

    public static readonly ScheduleSpec Daily = ScheduleSpec.Daily(new TimeOnly(2, 0));
    public static readonly ScheduleSpec Weekly = ScheduleSpec.Weekly(new TimeOnly(2, 0), DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Friday);
    public static readonly ScheduleSpec Hourly = ScheduleSpec.Hourly(15);
    public static readonly ScheduleSpec Custom = ScheduleSpec.FromCron("*/15 8-18 * * MON-FRI");

    /// <summary>Fixed so that Task Scheduler start boundaries are reproducible.</summary>
    public static readonly DateOnly StartDate = new(2025, 1, 6);

    /// <summary>
    /// Arguments that break naive quoting somewhere: sh, cron's %, systemd's specifiers and $ expansion, XML, and
    /// CommandLineToArgvW's backslash rules. {0} is replaced by a file that must never be created.
    /// </summary>
    public static string[] Hostile(string marker) =>
    [
        "with space", "  leading and trailing  ", "it's", "say \"hi\"", "'", "\"", "''", "\"\"", ";", "\\;", "a;b", "; rm -rf x;",
        $"$(touch {marker})", $"`touch {marker}`", $"x; touch {marker}", $"x && touch {marker}", $"|touch {marker}",
        "$HOME", "${HOME}", "$", "$$", "$1", "%", "100%", "%s%d", "%%", "%h", "%n", "\\%", "\\\\%", "a\\%b", "%\\",
        "\\", "back\\slash", "trail\\", "\\\\server\\share\\", "\\\"", "\\'", "a\\\\\"b",
        "a&b|c>d<e", "*", "?", "[a-z]", "~", "~root", "-", "--", "-NoProfile", "#", "# sqlitebackup:nightly", "!", "!!",
        "\t tab", "", " ", "ünïcödé ☃ 𝄞 日本語", "é",
    ];

    /// <summary>Line breaks: representable for systemd (C escapes) and launchd (XML), refused by cron and Task Scheduler.</summary>
    public static readonly string[] LineBreaks = ["line1\nline2", "cr\r", "crlf\r\n", "\n"];
}
