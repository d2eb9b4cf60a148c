namespace SqliteBackup.Core.Retention;

/// <summary>Turns a wall-clock time in a zone back into an instant, the way Go's <c>time.Date</c> does.</summary>
internal static class WallClock
{
    /// <summary>
    /// A wall time that falls in a daylight-saving gap or overlap has no single instant. restic inherits Go's answer:
    /// guess the offset by reading the wall time as if it were UTC, and look again at the resulting instant if the guess
    /// does not hold there. Matching that keeps our within windows on the same instant as restic's.
    /// The result may lie outside DateTime's range near its ends; the caller clamps.
    /// </summary>
    public static Int128 ToUtcTicks(DateTime wall, TimeZoneInfo zone)
    {
        long asUtc = wall.Ticks;
        long guess = OffsetAt(asUtc, zone);
        long utc = asUtc - guess;
        long actual = OffsetAt(utc, zone);
        return (Int128)asUtc - (actual == guess ? guess : actual);
    }

    static long OffsetAt(long utcTicks, TimeZoneInfo zone) =>
        zone.GetUtcOffset(new DateTime(Math.Clamp(utcTicks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc)).Ticks;
}
