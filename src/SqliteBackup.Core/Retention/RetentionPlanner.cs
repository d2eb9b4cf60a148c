namespace SqliteBackup.Core.Retention;

/// <summary>
/// Decides which backups rotation keeps: restic's <c>forget</c> policy (internal/data/snapshot_policy.go, ApplyPolicy)
/// plus four rules of ours. Pure: no clock, no I/O; the same input gives the same decisions.
/// </summary>
/// <remarks>
/// Our rules, applied around restic's:
/// <list type="bullet">
/// <item>A protected candidate is kept with its protected reason and is left out of restic's pass entirely, so it uses no
/// count, is never "the oldest", and does not move the <c>within</c> windows.</item>
/// <item>A candidate whose verification failed (proven, <see cref="VerificationState.Failed"/>; an inconclusive check is
/// not a failure) is also left out of restic's pass and is removed unless protected. Letting
/// it fill a daily or last-n slot would push a good backup out in exchange for one known to be bad, and letting it anchor
/// the within windows would let a run of failing backups age the good ones out.</item>
/// <item>The newest candidate whose verification passed is kept ("newest verified") whatever the policy says. This is
/// applied after restic's pass and changes no count.</item>
/// <item>With <c>now</c> given, a candidate dated more than <see cref="FutureDated.Tolerance"/> after it is kept as
/// <see cref="FutureDated.Reason"/> (unless its verification failed) and otherwise planned as if it were absent: it fills no
/// bucket, uses no count, anchors no window and is never "newest verified". So everything else is decided exactly as
/// restic would without it, and nothing is removed on the strength of a wrong clock.</item>
/// </list>
/// Sanity check for the "well under 200 ms for 100,000 backups" budget (benchmarks live in bench/, not in unit tests):
/// <code>var list = Enumerable.Range(0, 100_000).Select(i => new RetentionCandidate($"{i}", t0.AddMinutes(-37 * i), [])).ToList();
/// var sw = Stopwatch.StartNew(); RetentionPlanner.Plan(list, RetentionPolicy.Default, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")); sw.Stop();</code>
/// The work is one sort plus one linear pass with int bucket keys; that check measured 40-60 ms (Release, Berlin zone,
/// every rule on) on a busy 2-core machine.
/// </remarks>
internal static class RetentionPlanner
{
    public const string NewestVerifiedReason = "newest verified";

    /// <summary>The reason for a protected candidate whose <see cref="RetentionCandidate.ProtectedReason"/> is empty.</summary>
    public const string DefaultProtectedReason = "protected";

    static readonly IReadOnlyList<KeepReason> NoReasons = [];

    /// <summary>
    /// Plans one database's backups. Returns one decision per candidate, newest first; candidates with the same time keep
    /// their input order, as in restic's stable sort (which matters: it decides which of them fills a bucket).
    /// </summary>
    /// <param name="zone">The calendar for hour/day/week/month/year buckets and for the calendar part of durations;
    /// local time when null. Buckets follow the wall clock, as restic's do: a 23- or 25-hour day is still one day, and the
    /// hour a fall-back night repeats is one hourly bucket.</param>
    /// <param name="now">If given, candidates at or after it cannot be the newest backup the within windows reach back
    /// from, as restic guards against clock skew (when no candidate qualifies, the windows hold everything, as in restic),
    /// and candidates dated beyond it by more than <see cref="FutureDated.Tolerance"/> are kept and take no part in the plan.</param>
    /// <exception cref="ArgumentException">The policy is invalid (see <see cref="RetentionPolicy.Validate"/>) or a candidate is null.</exception>
    public static IReadOnlyList<RetentionDecision> Plan(
        IEnumerable<RetentionCandidate> candidates, RetentionPolicy policy, TimeZoneInfo? zone = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        zone ??= TimeZoneInfo.Local;

        var sorted = SortNewestFirst(candidates);
        int n = sorted.Length;
        var reasons = new List<KeepReason>?[n];

        var future = new bool[n];
        for (int k = 0; k < n; k++) future[k] = now is { } t && FutureDated.Is(sorted[k].Time, t);
        var eligible = new List<int>(n);
        for (int k = 0; k < n; k++)
        {
            if (future[k]) continue;
            if (!sorted[k].IsProtected && sorted[k].Verification != VerificationState.Failed) eligible.Add(k);
        }
        ApplyResticPolicy(sorted, eligible, policy, zone, now, reasons);

        bool newestVerifiedSeen = false;
        for (int k = 0; k < n; k++)
        {
            var c = sorted[k];
            if (c.IsProtected)
                (reasons[k] ??= []).Add(string.IsNullOrWhiteSpace(c.ProtectedReason) ? new(DefaultProtectedReason, "protected") : new(c.ProtectedReason, c.ProtectedReason.ToLowerInvariant()));
            if (future[k] && (c.IsProtected || c.Verification != VerificationState.Failed)) (reasons[k] ??= []).Add(new(FutureDated.Reason, "future"));
            if (!newestVerifiedSeen && c.Verification == VerificationState.Passed && !future[k])
            {
                newestVerifiedSeen = true;
                (reasons[k] ??= []).Add(new(NewestVerifiedReason, "verified"));
            }
        }

        var decisions = new RetentionDecision[n];
        for (int k = 0; k < n; k++)
        {
            decisions[k] = (reasons[k] is { } r
                ? new RetentionDecision(sorted[k], RetentionAction.Keep, r)
                : new RetentionDecision(sorted[k], RetentionAction.Remove, NoReasons)) with { FutureDated = future[k] };
        }
        return decisions;
    }

    /// <summary>
    /// Rotation is per database: groups candidates by <paramref name="groupKey"/> and plans each group on its own.
    /// Groups come back in the order their first candidate appeared.
    /// </summary>
    public static IReadOnlyList<RetentionGroupPlan<TKey>> PlanGroups<TKey>(
        IEnumerable<RetentionCandidate> candidates, Func<RetentionCandidate, TKey> groupKey, RetentionPolicy policy,
        TimeZoneInfo? zone = null, IEqualityComparer<TKey>? comparer = null, DateTimeOffset? now = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(groupKey);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        zone ??= TimeZoneInfo.Local;

        var groups = new Dictionary<TKey, List<RetentionCandidate>>(comparer);
        var order = new List<TKey>();
        foreach (var c in candidates)
        {
            ArgumentNullException.ThrowIfNull(c, nameof(candidates));
            var key = groupKey(c);
            if (!groups.TryGetValue(key, out var list))
            {
                groups.Add(key, list = []);
                order.Add(key);
            }
            list.Add(c);
        }
        return order.Select(key => new RetentionGroupPlan<TKey>(key, Plan(groups[key], policy, zone, now))).ToArray();
    }

    /// <summary>restic's <c>TagList.String()</c>, which its "has tags" reason uses.</summary>
    internal static string TagListText(IReadOnlyList<string> tags) => "[" + string.Join(", ", tags) + "]";

    static RetentionCandidate[] SortNewestFirst(IEnumerable<RetentionCandidate> candidates)
    {
        var input = candidates.ToArray();
        int n = input.Length;
        var keys = new long[n];
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (input[i] is null) throw new ArgumentException($"Candidate {i} is null.", nameof(candidates));
            keys[i] = ~input[i].Time.UtcTicks; // ascending ~ticks is descending time
            order[i] = i;
        }
        // Array.Sort is not stable; restoring input order inside each run of equal times makes it so, without a
        // comparison delegate on the hot path.
        Array.Sort(keys, order);
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            if (end - start > 1) Array.Sort(order, start, end - start);
            start = end;
        }
        var sorted = new RetentionCandidate[n];
        for (int k = 0; k < n; k++) sorted[k] = input[order[k]];
        return sorted;
    }

    /// <summary>A counting rule (last-n or a bucket rule) as it walks the list.</summary>
    sealed class CountRule(int remaining, BucketKind? kind, string reason, string keptAs)
    {
        public int Remaining = remaining;     // -1: unlimited
        public readonly BucketKind? Kind = kind; // null: the last-n rule, whose bucket is the position itself
        public readonly KeepReason Reason = new(reason, keptAs);
        public readonly KeepReason OldestReason = new("oldest " + reason, keptAs);
        public int LastKey = -1;
    }

    /// <summary>A "keep one per bucket within a window" rule: no count, but a cutoff.</summary>
    sealed class WithinRule(long cutoffUtcTicks, BucketKind kind, string reason, string keptAs)
    {
        public readonly long CutoffUtcTicks = cutoffUtcTicks;
        public readonly BucketKind Kind = kind;
        public readonly KeepReason Reason = new(reason, keptAs);
        public readonly KeepReason OldestReason = new("oldest " + reason, keptAs);
        public int LastKey = -1;
    }

    static void ApplyResticPolicy(
        RetentionCandidate[] sorted, List<int> eligible, RetentionPolicy policy, TimeZoneInfo zone, DateTimeOffset? now,
        List<KeepReason>?[] reasons)
    {
        int m = eligible.Count;
        if (m == 0) return;

        var counts = new List<CountRule>(6);
        void AddCount(int count, BucketKind? kind, string keptAs)
        {
            if (count != 0) counts.Add(new CountRule(count, kind, $"{keptAs} snapshot", keptAs));
        }
        AddCount(policy.KeepLast, null, "last");
        AddCount(policy.KeepHourly, BucketKind.Hour, "hourly");
        AddCount(policy.KeepDaily, BucketKind.Day, "daily");
        AddCount(policy.KeepWeekly, BucketKind.Week, "weekly");
        AddCount(policy.KeepMonthly, BucketKind.Month, "monthly");
        AddCount(policy.KeepYearly, BucketKind.Year, "yearly");

        // restic reaches back from the newest snapshot that is not in the future; with none, its zero time makes every
        // window hold everything.
        DateTimeOffset? anchor = null;
        foreach (int k in eligible)
        {
            if (now is null || sorted[k].Time < now.Value) { anchor = sorted[k].Time; break; }
        }
        long Cutoff(RetentionDuration d) => anchor is { } a ? d.SubtractFrom(a, zone).UtcTicks : long.MinValue;

        var withins = new List<WithinRule>(5);
        void AddWithin(RetentionDuration? d, BucketKind kind, string name)
        {
            if (!RetentionPolicy.IsOff(d)) withins.Add(new WithinRule(Cutoff(d!.Value), kind, $"{name} within {d.Value}", name));
        }
        AddWithin(policy.KeepWithinHourly, BucketKind.Hour, "hourly");
        AddWithin(policy.KeepWithinDaily, BucketKind.Day, "daily");
        AddWithin(policy.KeepWithinWeekly, BucketKind.Week, "weekly");
        AddWithin(policy.KeepWithinMonthly, BucketKind.Month, "monthly");
        AddWithin(policy.KeepWithinYearly, BucketKind.Year, "yearly");

        bool within = !RetentionPolicy.IsOff(policy.KeepWithin);
        long withinCutoff = within ? Cutoff(policy.KeepWithin!.Value) : 0;
        var withinReason = new KeepReason(within ? $"within {policy.KeepWithin!.Value}" : "", "within");

        var tagReasons = policy.KeepTags.Select(TagListText).Select(t => new KeepReason("has tags " + t, "tag")).ToArray();
        bool needWall = withins.Count > 0 || counts.Any(r => r.Kind is not null);

        for (int nr = 0; nr < m; nr++)
        {
            int k = eligible[nr];
            var c = sorted[k];
            bool oldest = nr == m - 1;
            long ticks = c.Time.UtcTicks;
            DateTime wall = needWall ? RetentionBuckets.WallTime(c.Time, zone) : default;
            List<KeepReason>? r = null;

            // Tags and the plain within window do not count, so a backup they keep still fills the counting rules.
            for (int t = 0; t < tagReasons.Length; t++)
            {
                if (HasTags(c.Tags, policy.KeepTags[t])) (r ??= []).Add(tagReasons[t]);
            }
            if (within && ticks > withinCutoff) (r ??= []).Add(withinReason);

            foreach (var rule in counts)
            {
                if (rule.Remaining == 0) continue;
                int key = rule.Kind is { } kind ? RetentionBuckets.Key(kind, wall) : nr;
                // Keep the first of each new bucket; also keep the oldest backup while the rule has count left, which
                // stretches the history a young repository keeps (restic's "oldest" reasons).
                if (key != rule.LastKey || oldest)
                {
                    (r ??= []).Add(key == rule.LastKey ? rule.OldestReason : rule.Reason);
                    rule.LastKey = key;
                    if (rule.Remaining > 0) rule.Remaining--;
                }
            }

            foreach (var rule in withins)
            {
                if (ticks <= rule.CutoffUtcTicks) continue;
                int key = RetentionBuckets.Key(rule.Kind, wall);
                if (key != rule.LastKey || oldest)
                {
                    (r ??= []).Add(key == rule.LastKey ? rule.OldestReason : rule.Reason);
                    rule.LastKey = key;
                }
            }

            reasons[k] = r;
        }
    }

    /// <summary>restic's HasTags: every tag of the list is present, except that "" stands for "has no tags at all".</summary>
    static bool HasTags(IReadOnlyCollection<string>? candidateTags, IReadOnlyList<string> required)
    {
        candidateTags ??= [];
        foreach (var tag in required)
        {
            if (tag.Length == 0 && candidateTags.Count == 0) return true;
            if (!candidateTags.Contains(tag)) return false;
        }
        return true;
    }
}
