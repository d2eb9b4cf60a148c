namespace SqliteBackup.Core.Retention;

/// <summary>
/// restic's <c>forget</c> policy. Counts: 0 switches a rule off, -1 keeps every bucket, n keeps the newest backup of each
/// of the n newest buckets (and, if buckets run out before n does, also the oldest backup). Durations: null or zero
/// switches a rule off; otherwise the window reaches back from the newest backup.
/// </summary>
public sealed record RetentionPolicy
{
    IReadOnlyList<IReadOnlyList<string>> keepTags = [];

    /// <summary>The <c>daily 30, weekly 12, monthly 12</c> policy that rotation uses when no rule at all is given.</summary>
    public static RetentionPolicy Default { get; } = new() { KeepDaily = 30, KeepWeekly = 12, KeepMonthly = 12 };

    public int KeepLast { get; init; }
    public int KeepHourly { get; init; }
    public int KeepDaily { get; init; }
    public int KeepWeekly { get; init; }
    public int KeepMonthly { get; init; }
    public int KeepYearly { get; init; }

    public RetentionDuration? KeepWithin { get; init; }
    public RetentionDuration? KeepWithinHourly { get; init; }
    public RetentionDuration? KeepWithinDaily { get; init; }
    public RetentionDuration? KeepWithinWeekly { get; init; }
    public RetentionDuration? KeepWithinMonthly { get; init; }
    public RetentionDuration? KeepWithinYearly { get; init; }

    /// <summary>
    /// restic's <c>--keep-tag</c> lists: a candidate carrying every tag of at least one inner list is kept. So
    /// <c>[["a"], ["b"]]</c> keeps a or b, <c>[["a", "b"]]</c> keeps only a-and-b. As in restic, the empty tag "" matches an
    /// untagged candidate, and a tag-kept candidate still takes part in the counting rules.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> KeepTags { get => keepTags; init => keepTags = value ?? []; }

    /// <summary>No rule at all. The planner takes an empty policy literally (it keeps nothing but protected and newest
    /// verified backups, like restic's ApplyPolicy); callers that want the default say so with <see cref="OrDefault"/>.</summary>
    public bool IsEmpty =>
        KeepLast == 0 && KeepHourly == 0 && KeepDaily == 0 && KeepWeekly == 0 && KeepMonthly == 0 && KeepYearly == 0
        && IsOff(KeepWithin) && IsOff(KeepWithinHourly) && IsOff(KeepWithinDaily) && IsOff(KeepWithinWeekly)
        && IsOff(KeepWithinMonthly) && IsOff(KeepWithinYearly) && KeepTags.Count == 0;

    /// <summary>This policy, or <see cref="Default"/> when it has no rule: what a rotation without -Keep* parameters means.</summary>
    public RetentionPolicy OrDefault() => IsEmpty ? Default : this;

    /// <exception cref="ArgumentException">A count is below -1, a duration is negative or a tag list is null; the message names the rule.</exception>
    public void Validate()
    {
        CheckCount(KeepLast, nameof(KeepLast));
        CheckCount(KeepHourly, nameof(KeepHourly));
        CheckCount(KeepDaily, nameof(KeepDaily));
        CheckCount(KeepWeekly, nameof(KeepWeekly));
        CheckCount(KeepMonthly, nameof(KeepMonthly));
        CheckCount(KeepYearly, nameof(KeepYearly));
        CheckDuration(KeepWithin, nameof(KeepWithin));
        CheckDuration(KeepWithinHourly, nameof(KeepWithinHourly));
        CheckDuration(KeepWithinDaily, nameof(KeepWithinDaily));
        CheckDuration(KeepWithinWeekly, nameof(KeepWithinWeekly));
        CheckDuration(KeepWithinMonthly, nameof(KeepWithinMonthly));
        CheckDuration(KeepWithinYearly, nameof(KeepWithinYearly));
        for (int i = 0; i < KeepTags.Count; i++)
        {
            if (KeepTags[i] is null || KeepTags[i].Any(t => t is null))
                throw new ArgumentException($"KeepTags entry {i} is null or contains a null tag; give each tag list as non-null strings.", nameof(KeepTags));
        }
    }

    static void CheckCount(int value, string rule)
    {
        if (value < -1)
            throw new ArgumentException($"{rule} is {value}, but a retention count must be -1 (keep all), 0 (rule off) or a positive number.", rule);
    }

    static void CheckDuration(RetentionDuration? value, string rule)
    {
        if (value is { IsNegative: true } d)
            throw new ArgumentException($"{rule} is {d}, but a retention duration cannot be negative: it would reach forward from the newest backup. Use whole positive units such as 7d or 1y6m.", rule);
    }

    internal static bool IsOff(RetentionDuration? d) => d is not { IsZero: false };

    /// <summary>A one-line description in restic's words, for logs and -WhatIf output.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        foreach (var (count, name) in new[] { (KeepLast, "latest"), (KeepHourly, "hourly"), (KeepDaily, "daily"), (KeepWeekly, "weekly"), (KeepMonthly, "monthly"), (KeepYearly, "yearly") })
        {
            if (count > 0) parts.Add($"{count} {name}");
            else if (count == -1) parts.Add($"all {name}");
        }
        var s = parts.Count > 0 ? string.Join(", ", parts) + " snapshots" : "";
        foreach (var (d, name) in new[] { (KeepWithinHourly, "hourly"), (KeepWithinDaily, "daily"), (KeepWithinWeekly, "weekly"), (KeepWithinMonthly, "monthly"), (KeepWithinYearly, "yearly") })
        {
            if (!IsOff(d)) s += (s.Length > 0 ? ", " : "") + $"{name} snapshots within {d}";
        }
        if (KeepTags.Count > 0) s += (s.Length > 0 ? " and " : "") + "all snapshots with tags " + string.Join(" ", KeepTags.Select(RetentionPlanner.TagListText));
        if (!IsOff(KeepWithin)) s += (s.Length > 0 ? " and " : "") + $"all snapshots within {KeepWithin} of the newest";
        return s.Length == 0 ? "remove" : "keep " + s;
    }
}
