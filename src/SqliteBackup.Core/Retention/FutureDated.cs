namespace SqliteBackup.Core.Retention;

/// <summary>
/// A backup dated later than now was taken while a clock was wrong (or its manifest was written by someone else). Its
/// date says nothing about how fresh it is, so it must never decide what rotation removes or which backup is "the newest".
/// </summary>
public static class FutureDated
{
    /// <summary>
    /// How far past this machine's clock a backup may be dated and still be taken at its word. Machines sharing a backup
    /// directory, and one machine either side of an NTP step, disagree by seconds up to a few minutes (five is Kerberos's
    /// default allowed skew, a figure admins already tune clocks to); a backup just written by such a machine must not be
    /// flagged. A clock set wrong for a run is off by hours to years, far beyond this.
    /// </summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>The retention reason of a future-dated backup, which rotation always keeps.</summary>
    public const string Reason = "dated in the future";

    public static bool Is(DateTimeOffset time, DateTimeOffset now) => time - now > Tolerance;

    /// <summary>One warning naming the backup, its date, what was done about it, and how to fix it.</summary>
    public static string Warning(string path, string database, DateTimeOffset created, DateTimeOffset now, string consequence) =>
        $"The backup '{path}' of '{database}' is dated in the future: {created.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, {Ahead(created - now)} ahead of this " +
        $"machine's clock ({now.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC). {consequence} If a clock was wrong when it was taken, correct it " +
        $"(enable NTP); the backup can be removed by hand with Remove-SqliteBackup -Path '{path}'.";

    static string Ahead(TimeSpan t) =>
        t.TotalDays >= 2 ? $"{t.TotalDays:0} days" : t.TotalHours >= 2 ? $"{t.TotalHours:0} hours" : $"{t.TotalMinutes:0} minutes";
}
