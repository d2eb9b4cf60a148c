using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Copies;

/// <summary>
/// How long an Object Lock keeps a new backup: as long as the longest rule of the location's retention policy could
/// keep it, counted from when the backup was taken. KeepDaily 30 keeps a backup at most 30 days, KeepWeekly 12 at most
/// 12 weeks, KeepMonthly 12 at most 12 calendar months, KeepYearly n n years, KeepHourly n n hours, a KeepWithin* window
/// that long; the lock ends at the latest of these. So no backup retention still needs can be deleted before then (by
/// rotation or by a thief with the keys); one that retention drops sooner stays locked until that date, and rotation
/// reports it as kept. Rules not bounded in time (KeepLast, keep-tags, -1 for "every bucket") set no date of their own;
/// a policy of only those locks nothing explicitly, and the bucket's default retention, if it has one, applies.
/// </summary>
public static class LockPeriod
{
    public static DateTime? RetainUntil(RetentionPolicy policy, DateTime createdUtc)
    {
        var created = new DateTimeOffset(DateTime.SpecifyKind(createdUtc, DateTimeKind.Utc));
        DateTimeOffset? latest = null;
        void Consider(DateTimeOffset until)
        {
            if (latest == null || until > latest) latest = until;
        }

        if (policy.KeepHourly > 0) Consider(created.AddHours(policy.KeepHourly));
        if (policy.KeepDaily > 0) Consider(created.AddDays(policy.KeepDaily));
        if (policy.KeepWeekly > 0) Consider(created.AddDays(7.0 * policy.KeepWeekly));
        if (policy.KeepMonthly > 0) Consider(created.AddMonths(policy.KeepMonthly));
        if (policy.KeepYearly > 0) Consider(created.AddYears(policy.KeepYearly));
        foreach (var window in new[] { policy.KeepWithin, policy.KeepWithinHourly, policy.KeepWithinDaily, policy.KeepWithinWeekly, policy.KeepWithinMonthly, policy.KeepWithinYearly })
        {
            if (window is { IsZero: false, IsNegative: false } d)
                Consider(created.AddYears(d.Years).AddMonths(d.Months).AddDays(d.Days).AddHours(d.Hours));
        }
        return latest?.UtcDateTime;
    }
}
