using SqliteBackup.Core.Scheduling;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>The one realistic job used throughout: pwsh importing the module and running a job from its JSON file.</summary>
public static class Examples
{
    public static readonly ScheduledCommand Posix = new("/usr/bin/pwsh",
        ["-NoProfile", "-NonInteractive", "-Command",
         "Import-Module '/opt/SqliteBackup/SqliteBackup.psd1'; Invoke-SqliteBackupJob -ConfigPath '/srv/app/backup.json'"]);

    public static readonly ScheduledCommand PosixShutdown = new("/usr/bin/pwsh",
        ["-NoProfile", "-NonInteractive", "-Command",
         "Import-Module '/opt/SqliteBackup/SqliteBackup.psd1'; Invoke-SqliteBackupJob -ConfigPath '/srv/app/backup.json' -Type Shutdown"]);

    public static readonly ScheduledCommand Windows = new(@"C:\Program Files\PowerShell\7\pwsh.exe",
        ["-NoProfile", "-NonInteractive", "-Command",
         @"Import-Module 'C:\Program Files\SqliteBackup\SqliteBackup.psd1'; Invoke-SqliteBackupJob -ConfigPath 'C:\ProgramData\SqliteBackup\app.json'"]);

    public static readonly ScheduledCommand WindowsShutdown = new(@"C:\Program Files\PowerShell\7\pwsh.exe",
        ["-NoProfile", "-NonInteractive", "-Command",
         @"Import-Module 'C:\Program Files\SqliteBackup\SqliteBackup.psd1'; Invoke-SqliteBackupJob -ConfigPath 'C:\ProgramData\SqliteBackup\app.json' -Type Shutdown"]);

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
