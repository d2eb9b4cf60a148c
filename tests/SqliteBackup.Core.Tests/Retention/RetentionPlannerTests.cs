using System.Globalization;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Tests.Retention;

public sealed class RetentionPlannerTests
{
    static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;

    static RetentionCandidate C(string id, string utcTime, params string[] tags) =>
        new(id, DateTimeOffset.Parse(utcTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), tags);

    /// <summary>"id: reason | reason" for kept, "id: -" for removed, in the planner's (newest first) order.</summary>
    static string[] Summary(IEnumerable<RetentionDecision> decisions) => decisions
        .Select(d => d.Action == RetentionAction.Keep ? $"{d.Candidate.Id}: {string.Join(" | ", d.Reasons)}" : $"{d.Candidate.Id}: -")
        .ToArray();

    // ---- what a backup is kept as: data beside the wording, never parsed back from it --------------------------------

    [Theory]
    [InlineData("a", "monthly weekly daily within tag")]
    [InlineData("b", "daily within")]
    [InlineData("m", "manual verified")]
    [InlineData("c", "monthly weekly")]
    [InlineData("z", "")]                   // removed: every rule's bucket is already filled
    [InlineData("d", "weekly")]             // "oldest weekly within 1y": kept as weekly though the wording starts with "oldest"
    public void Kept_as_is_the_kind_of_each_rule_that_keeps_it(string id, string keptAs)
    {
        RetentionCandidate[] list =
        [
            C("a", "2024-05-05T10:00Z", "x"),
            C("b", "2024-05-04T10:00Z"),
            C("m", "2024-05-03T10:00Z") with { IsProtected = true, ProtectedReason = "manual", Verification = VerificationState.Passed },
            C("c", "2024-04-20T10:00Z"),
            C("z", "2024-04-19T12:00Z"),
            C("d", "2024-04-19T10:00Z"),
        ];
        var policy = new RetentionPolicy
        {
            KeepDaily = 2, KeepMonthly = 2, KeepTags = [["x"]],
            KeepWithin = RetentionDuration.Parse("3d"), KeepWithinWeekly = RetentionDuration.Parse("1y"),
        };
        var decision = RetentionPlanner.Plan(list, policy, Utc).Single(d => d.Candidate.Id == id);
        Assert.Equal(keptAs, string.Join(" ", KeepReason.KeptAsOf(decision.Keeps)));
        Assert.Equal(decision.Reasons, decision.Keeps.Select(k => k.Text));
    }

    // ---- our rules: protected and verification ------------------------------------------------------------------

    [Fact]
    public void Protected_backups_are_kept_and_use_no_count()
    {
        RetentionCandidate[] list =
        [
            C("m", "2024-05-05T10:00Z") with { IsProtected = true, ProtectedReason = "manual" },
            C("a", "2024-05-04T10:00Z"),
            C("b", "2024-05-03T10:00Z"),
            C("c", "2024-05-02T10:00Z"),
        ];
        var plan = RetentionPlanner.Plan(list, new RetentionPolicy { KeepLast = 2 }, Utc);
        Assert.Equal(["m: manual", "a: last snapshot", "b: last snapshot", "c: -"], Summary(plan));
    }

    [Fact]
    public void Protected_backups_do_not_fill_a_bucket_or_count_as_the_oldest()
    {
        RetentionCandidate[] list =
        [
            C("p1", "2024-05-03T12:00Z") with { IsProtected = true, ProtectedReason = "premigration" },
            C("a", "2024-05-03T10:00Z"),
            C("b", "2024-05-02T10:00Z"),
            C("c", "2024-05-02T09:00Z"),
            C("p2", "2024-05-01T10:00Z") with { IsProtected = true },
        ];
        var plan = RetentionPlanner.Plan(list, new RetentionPolicy { KeepDaily = 10 }, Utc);
        Assert.Equal(["p1: premigration", "a: daily snapshot", "b: daily snapshot", "c: oldest daily snapshot", "p2: protected"], Summary(plan));
    }

    [Fact]
    public void Failed_backups_never_count_and_are_removed_unless_protected()
    {
        RetentionCandidate[] list =
        [
            C("bad", "2024-05-03T12:00Z") with { Verification = VerificationState.Failed },
            C("a", "2024-05-03T10:00Z"),
            C("bad-manual", "2024-05-02T12:00Z") with { Verification = VerificationState.Failed, IsProtected = true, ProtectedReason = "manual" },
            C("b", "2024-05-02T10:00Z"),
            C("bad-old", "2024-05-01T10:00Z", "keep") with { Verification = VerificationState.Failed },
        ];
        var policy = new RetentionPolicy { KeepLast = 1, KeepDaily = 5, KeepTags = [["keep"]], KeepWithin = RetentionDuration.Parse("10d") };
        var plan = RetentionPlanner.Plan(list, policy, Utc);
        Assert.Equal(
            [
                "bad: -",
                "a: within 10d | last snapshot | daily snapshot",
                "bad-manual: manual",
                "b: within 10d | daily snapshot",
                "bad-old: -",
            ],
            Summary(plan));
    }

    [Fact]
    public void Failed_backups_do_not_anchor_the_within_window()
    {
        RetentionCandidate[] list =
        [
            C("bad", "2024-05-20T10:00Z") with { Verification = VerificationState.Failed },
            C("a", "2024-05-10T10:00Z"),
            C("b", "2024-05-04T10:00Z"),
            C("c", "2024-05-02T10:00Z"),
        ];
        var plan = RetentionPlanner.Plan(list, new RetentionPolicy { KeepWithin = RetentionDuration.Parse("7d") }, Utc);
        Assert.Equal(["bad: -", "a: within 7d", "b: within 7d", "c: -"], Summary(plan));
    }

    [Fact]
    public void The_newest_verified_backup_is_always_kept_after_the_policy_has_run()
    {
        RetentionCandidate[] list =
        [
            C("new", "2024-05-05T10:00Z"),
            C("v1", "2024-05-04T10:00Z") with { Verification = VerificationState.Passed },
            C("v2", "2024-05-03T10:00Z") with { Verification = VerificationState.Passed },
            C("old", "2024-05-02T10:00Z"),
        ];
        Assert.Equal(["new: last snapshot", "v1: newest verified", "v2: -", "old: -"],
            Summary(RetentionPlanner.Plan(list, new RetentionPolicy { KeepLast = 1 }, Utc)));
        // Keeping it uses no count: last-2 still reaches v1 itself, and the reason is added to restic's.
        Assert.Equal(["new: last snapshot", "v1: last snapshot | newest verified", "v2: -", "old: -"],
            Summary(RetentionPlanner.Plan(list, new RetentionPolicy { KeepLast = 2 }, Utc)));
        Assert.Equal(["new: -", "v1: newest verified", "v2: -", "old: -"],
            Summary(RetentionPlanner.Plan(list, new RetentionPolicy(), Utc)));
    }

    [Fact]
    public void A_protected_newest_verified_backup_carries_both_reasons()
    {
        RetentionCandidate[] list =
        [
            C("m", "2024-05-05T10:00Z") with { IsProtected = true, ProtectedReason = "manual", Verification = VerificationState.Passed },
            C("v", "2024-05-04T10:00Z") with { Verification = VerificationState.Passed },
        ];
        Assert.Equal(["m: manual | newest verified", "v: -"], Summary(RetentionPlanner.Plan(list, new RetentionPolicy(), Utc)));
    }

    [Fact]
    public void An_empty_policy_removes_everything_not_protected_like_restic_ApplyPolicy()
    {
        RetentionCandidate[] list = [C("a", "2024-05-05T10:00Z"), C("m", "2024-05-04T10:00Z") with { IsProtected = true, ProtectedReason = "manual" }];
        Assert.Equal(["a: -", "m: manual"], Summary(RetentionPlanner.Plan(list, new RetentionPolicy(), Utc)));
        Assert.Equal(["a: daily snapshot | weekly snapshot | monthly snapshot", "m: manual"],
            Summary(RetentionPlanner.Plan(list, new RetentionPolicy().OrDefault(), Utc)));
    }

    // ---- restic rules the golden file does not cover -----------------------------------------------------------

    [Fact]
    public void A_tag_kept_backup_still_fills_counting_rules_as_in_restic()
    {
        RetentionCandidate[] list = [C("t", "2024-05-05T10:00Z", "foo"), C("a", "2024-05-04T10:00Z"), C("u", "2024-05-03T10:00Z")];
        var policy = new RetentionPolicy { KeepLast = 1, KeepTags = [["foo"], [""]] };
        // "" is restic's "no tags at all".
        Assert.Equal(["t: has tags [foo] | last snapshot", "a: has tags []", "u: has tags []"], Summary(RetentionPlanner.Plan(list, policy, Utc)));
    }

    public static IEnumerable<object[]> ResticWithinCases()
    {
        // From restic's testdata/policy_keep_snapshots_27, _32 and _33 (BSD-2, see testdata/NOTICE.md): kept times, newest first.
        yield return
        [
            new RetentionPolicy { KeepWithin = RetentionDuration.Parse("13d23h") }, "within 13d23h",
            new[] { "2016-01-18T12:02:03", "2016-01-12T21:08:03", "2016-01-12T21:02:03", "2016-01-09T21:02:03", "2016-01-08T20:02:03",
                    "2016-01-07T10:02:03", "2016-01-06T08:02:03", "2016-01-05T09:02:03", "2016-01-04T16:23:03" },
        ];
        yield return
        [
            new RetentionPolicy { KeepWithinWeekly = RetentionDuration.Parse("1y2m3d3h") }, "weekly within 1y2m3d3h",
            new[] { "2016-01-18T12:02:03", "2016-01-12T21:08:03", "2016-01-09T21:02:03", "2016-01-03T07:02:03", "2015-11-22T10:20:30",
                    "2015-11-15T10:20:30", "2015-11-08T10:20:30", "2015-10-22T10:20:30", "2015-10-11T10:20:30", "2015-10-02T10:20:30",
                    "2015-09-22T10:20:30", "2015-09-20T10:20:30", "2015-09-11T10:20:30", "2015-09-06T10:20:30", "2015-08-22T10:20:30",
                    "2015-08-15T10:20:30", "2015-08-08T10:20:30", "2014-11-22T10:20:30", "2014-11-15T10:20:30" },
        ];
        yield return
        [
            new RetentionPolicy { KeepWithinMonthly = RetentionDuration.Parse("1y2m3d3h") }, "monthly within 1y2m3d3h",
            new[] { "2016-01-18T12:02:03", "2015-11-22T10:20:30", "2015-10-22T10:20:30", "2015-09-22T10:20:30", "2015-08-22T10:20:30",
                    "2014-11-22T10:20:30" },
        ];
    }

    [Theory]
    [MemberData(nameof(ResticWithinCases))]
    public void Within_rules_match_restic(RetentionPolicy policy, string reason, string[] keptTimes)
    {
        var plan = RetentionPlanner.Plan(ResticPolicyCases.Snapshots, policy, Utc);
        var kept = plan.Where(d => d.Action == RetentionAction.Keep).ToArray();
        Assert.Equal(keptTimes, kept.Select(d => d.Candidate.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)));
        Assert.All(kept, d => Assert.Equal([reason], d.Reasons));
    }

    [Fact]
    public void Within_bucket_rules_keep_the_oldest_backup_when_it_is_inside_the_window()
    {
        RetentionCandidate[] list = [C("a", "2024-05-05T10:00Z"), C("b", "2024-05-03T10:00Z"), C("c", "2024-05-03T09:00Z")];
        var plan = RetentionPlanner.Plan(list, new RetentionPolicy { KeepWithinDaily = RetentionDuration.Parse("5d") }, Utc);
        Assert.Equal(["a: daily within 5d", "b: daily within 5d", "c: oldest daily within 5d"], Summary(plan));
    }

    [Fact]
    public void Within_windows_reach_back_from_the_newest_backup_not_from_now_and_skip_future_ones_when_now_is_given()
    {
        var now = new DateTimeOffset(2024, 5, 10, 12, 0, 0, TimeSpan.Zero);
        RetentionCandidate[] list =
        [
            new("future", now.AddDays(1), []),
            new("a", now.AddHours(-1), []),
            new("b", now.AddDays(-3), []),
        ];
        var policy = new RetentionPolicy { KeepWithin = RetentionDuration.Parse("1d") };
        Assert.Equal(["future: within 1d", "a: -", "b: -"], Summary(RetentionPlanner.Plan(list, policy, Utc)));
        // Beyond restic: a backup dated past now (and its tolerance) is kept for that reason and takes no part (FutureDatedTests).
        Assert.Equal(["future: dated in the future", "a: within 1d", "b: -"], Summary(RetentionPlanner.Plan(list, policy, Utc, now)));
        Assert.Equal(["future: dated in the future", "a: dated in the future", "b: dated in the future"], Summary(RetentionPlanner.Plan(list, policy, Utc, now.AddDays(-10))));
    }

    // ---- ordering -------------------------------------------------------------------------------------------------

    [Fact]
    public void Input_order_does_not_matter_and_output_is_newest_first()
    {
        RetentionCandidate[] list = [C("c", "2024-05-03T10:00Z"), C("a", "2024-05-05T10:00Z"), C("d", "2024-05-02T10:00Z"), C("b", "2024-05-04T10:00Z")];
        Assert.Equal(["a: last snapshot", "b: last snapshot", "c: -", "d: -"], Summary(RetentionPlanner.Plan(list, new RetentionPolicy { KeepLast = 2 }, Utc)));
    }

    [Fact]
    public void Equal_times_keep_their_input_order_as_in_restic_stable_sort()
    {
        RetentionCandidate[] list = [C("first", "2024-05-05T10:00Z"), C("second", "2024-05-05T10:00Z"), C("older", "2024-05-04T10:00Z")];
        Assert.Equal(["first: daily snapshot", "second: -", "older: daily snapshot"], Summary(RetentionPlanner.Plan(list, new RetentionPolicy { KeepDaily = 5 }, Utc)));
        Assert.Equal(["second: daily snapshot", "first: -", "older: daily snapshot"], Summary(RetentionPlanner.Plan(list.Reverse().ToArray(), new RetentionPolicy { KeepDaily = 5 }, Utc)));
    }

    [Fact]
    public void Times_are_compared_as_instants_whatever_their_offset()
    {
        RetentionCandidate[] list =
        [
            new("tokyo", new DateTimeOffset(2024, 5, 5, 8, 0, 0, TimeSpan.FromHours(9)), []),   // 23:00Z on 4 May
            new("london", new DateTimeOffset(2024, 5, 5, 0, 30, 0, TimeSpan.FromHours(1)), []),  // 23:30Z on 4 May
        ];
        Assert.Equal(["london: daily snapshot", "tokyo: -"], Summary(RetentionPlanner.Plan(list, new RetentionPolicy { KeepDaily = 1 }, Utc)));
    }

    [Fact]
    public void Null_arguments_and_null_candidates_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => RetentionPlanner.Plan(null!, new RetentionPolicy(), Utc));
        Assert.Throws<ArgumentNullException>(() => RetentionPlanner.Plan([], null!, Utc));
        Assert.Throws<ArgumentException>(() => RetentionPlanner.Plan([C("a", "2024-05-05T10:00Z"), null!], new RetentionPolicy(), Utc));
    }

    [Fact]
    public void An_empty_list_plans_to_nothing()
    {
        Assert.Empty(RetentionPlanner.Plan([], RetentionPolicy.Default, Utc));
    }

    // ---- time zones -----------------------------------------------------------------------------------------------

    public static IEnumerable<object[]> DaylightSavingDays() =>
    [
        ["Europe/Berlin", "2024-03-31"],      // 23-hour day
        ["Europe/Berlin", "2024-10-27"],      // 25-hour day
        ["America/New_York", "2024-03-10"],
        ["America/New_York", "2024-11-03"],
    ];

    [Theory]
    [MemberData(nameof(DaylightSavingDays))]
    public void Hourly_backups_across_a_daylight_saving_change_keep_exactly_one_per_calendar_day(string zoneId, string day)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var middle = DateTime.Parse(day, CultureInfo.InvariantCulture);
        var start = new DateTimeOffset(middle.AddDays(-2), zone.GetUtcOffset(middle.AddDays(-2)));
        var list = Enumerable.Range(0, 5 * 24).Select(h => new RetentionCandidate($"h{h}", start.AddHours(h), [])).ToArray();

        var plan = RetentionPlanner.Plan(list, new RetentionPolicy { KeepDaily = -1 }, zone);

        var dailyLocal = plan.Where(d => d.Reasons.Contains("daily snapshot")).Select(d => TimeZoneInfo.ConvertTime(d.Candidate.Time, zone)).ToArray();
        var localDays = list.Select(c => TimeZoneInfo.ConvertTime(c.Time, zone).Date).Distinct().OrderDescending().ToArray();
        Assert.Equal(localDays, dailyLocal.Select(t => t.Date));
        Assert.Contains(dailyLocal, t => t.Date == middle.Date);
        // Each day's newest backup is 23:00 local, except on the last, partial day.
        Assert.All(dailyLocal.Skip(1), t => Assert.Equal(23, t.Hour));
        // The only other keep is restic's bonus for the oldest backup while the count (unlimited) lasts.
        var others = plan.Where(d => d.Action == RetentionAction.Keep && !d.Reasons.Contains("daily snapshot")).ToArray();
        Assert.Equal(["oldest daily snapshot"], Assert.Single(others).Reasons);
    }

    [Fact]
    public void Buckets_follow_the_requested_zone()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        // 22:30Z on 4 May is 00:30 on 5 May in Berlin.
        RetentionCandidate[] list = [C("late", "2024-05-04T22:30Z"), C("early", "2024-05-04T08:00Z")];
        var policy = new RetentionPolicy { KeepDaily = 1 };
        Assert.Equal(["late: daily snapshot", "early: -"], Summary(RetentionPlanner.Plan(list, policy, Utc)));
        Assert.Equal(["late: daily snapshot", "early: oldest daily snapshot"], Summary(RetentionPlanner.Plan(list, policy with { KeepDaily = 2 }, Utc)));
        Assert.Equal(["late: daily snapshot", "early: daily snapshot"], Summary(RetentionPlanner.Plan(list, policy with { KeepDaily = 2 }, berlin)));
    }

    [Fact]
    public void The_repeated_wall_clock_hour_of_a_fall_back_night_is_one_hourly_bucket_as_in_restic()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        // 20:00Z on 26 October 2024 and the 23 hours after it: 24 instants, but Berlin reads 02:xx twice (00:00Z in CEST, 01:00Z in CET).
        var start = new DateTimeOffset(2024, 10, 26, 20, 0, 0, TimeSpan.Zero);
        var list = Enumerable.Range(0, 24).Select(h => new RetentionCandidate($"h{h}", start.AddHours(h), [])).ToArray();
        var plan = RetentionPlanner.Plan(list, new RetentionPolicy { KeepHourly = -1 }, berlin);
        Assert.Equal(23, plan.Count(d => d.Action == RetentionAction.Keep));
        var merged = plan.Single(d => d.Action == RetentionAction.Remove).Candidate;
        Assert.Equal(new DateTimeOffset(2024, 10, 27, 0, 0, 0, TimeSpan.Zero), merged.Time); // 02:00 CEST, behind the newer 02:00 CET
    }

    // ---- groups ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Groups_are_planned_independently_in_first_seen_order()
    {
        RetentionCandidate[] list =
        [
            C("app-1", "2024-05-05T10:00Z"), C("log-1", "2024-05-05T11:00Z"), C("APP-2", "2024-05-04T10:00Z"),
            C("log-2", "2024-05-04T11:00Z"), C("app-3", "2024-05-03T10:00Z"),
        ];
        var groups = RetentionPlanner.PlanGroups(list, c => c.Id.Split('-')[0], new RetentionPolicy { KeepLast = 1 }, Utc, StringComparer.OrdinalIgnoreCase);

        Assert.Equal(["app", "log"], groups.Select(g => g.Key));
        Assert.Equal(["app-1: last snapshot", "APP-2: -", "app-3: -"], Summary(groups[0].Decisions));
        Assert.Equal(["log-1: last snapshot", "log-2: -"], Summary(groups[1].Decisions));
    }

    [Fact]
    public void Group_planning_validates_the_policy_even_with_no_candidates()
    {
        var ex = Assert.Throws<ArgumentException>(() => RetentionPlanner.PlanGroups([], c => c.Id, new RetentionPolicy { KeepWeekly = -5 }, Utc));
        Assert.Equal(nameof(RetentionPolicy.KeepWeekly), ex.ParamName);
    }
}
