namespace SqliteBackup.Core.Retention;

/// <summary>
/// One rule that keeps a backup: <see cref="Text"/> in restic's wording for people ("oldest daily snapshot", "daily
/// within 1m"), <see cref="KeptAs"/> the kind of rule for the report's badges and colours ("daily"), decided where the
/// rule is applied so that nothing parses the wording back.
/// </summary>
public readonly record struct KeepReason(string Text, string KeptAs)
{
    /// <summary>Most durable first: the order the report shows a backup's badges in, and the first one colours it.</summary>
    static readonly string[] Order =
        ["manual", "premigration", "prerestore", "yearly", "monthly", "weekly", "daily", "hourly", "last", "within", "tag", "verified", "future", "protected"];

    /// <summary>What the reasons keep a backup as, most durable first, each once.</summary>
    public static IReadOnlyList<string> KeptAsOf(IReadOnlyList<KeepReason> reasons)
    {
        if (reasons.Count == 0) return [];
        var found = new HashSet<string>(reasons.Select(r => r.KeptAs), StringComparer.Ordinal);
        return Order.Where(found.Contains).Concat(found.Where(k => !Order.Contains(k)).Order(StringComparer.Ordinal)).ToList();
    }
}
