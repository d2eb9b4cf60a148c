using System.Globalization;

namespace SqliteBackup.Core.Retention;

/// <summary>The calendar periods a bucket rule keeps one backup of.</summary>
internal enum BucketKind { Hour, Day, Week, Month, Year }

/// <summary>
/// Bucket keys are ints so that a rule only compares each backup's key with the previous one, with no strings or
/// dictionaries: that is what keeps planning linear after the sort. Keys only need to be equal for the same period
/// and distinct between neighbouring periods; their values mean nothing else.
/// </summary>
internal static class RetentionBuckets
{
    /// <summary>The wall clock in <paramref name="zone"/>: restic buckets by the calendar a person reads, not by UTC.</summary>
    public static DateTime WallTime(DateTimeOffset time, TimeZoneInfo zone) =>
        ReferenceEquals(zone, TimeZoneInfo.Utc) ? time.UtcDateTime : TimeZoneInfo.ConvertTime(time, zone).DateTime;

    public static int Key(BucketKind kind, DateTime wall) => kind switch
    {
        // Hours since 0001-01-01 fit an int up to year 9999 (about 87.6 million).
        BucketKind.Hour => (int)(wall.Ticks / TimeSpan.TicksPerHour),
        BucketKind.Day => (int)(wall.Ticks / TimeSpan.TicksPerDay),
        // ISO weeks, as restic (Go's ISOWeek): the days around New Year belong to the neighbouring year's week.
        BucketKind.Week => ISOWeek.GetYear(wall) * 100 + ISOWeek.GetWeekOfYear(wall),
        BucketKind.Month => wall.Year * 12 + wall.Month - 1,
        BucketKind.Year => wall.Year,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
