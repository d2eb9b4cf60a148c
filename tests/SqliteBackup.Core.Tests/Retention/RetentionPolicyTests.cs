using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Tests.Retention;

public sealed class RetentionPolicyTests
{
    public static IEnumerable<object[]> InvalidCounts()
    {
        foreach (var value in new[] { -2, -30, int.MinValue })
        {
            yield return [nameof(RetentionPolicy.KeepLast), new RetentionPolicy { KeepLast = value }];
            yield return [nameof(RetentionPolicy.KeepHourly), new RetentionPolicy { KeepHourly = value }];
            yield return [nameof(RetentionPolicy.KeepDaily), new RetentionPolicy { KeepDaily = value }];
            yield return [nameof(RetentionPolicy.KeepWeekly), new RetentionPolicy { KeepWeekly = value }];
            yield return [nameof(RetentionPolicy.KeepMonthly), new RetentionPolicy { KeepMonthly = value }];
            yield return [nameof(RetentionPolicy.KeepYearly), new RetentionPolicy { KeepYearly = value }];
        }
    }

    [Theory]
    [MemberData(nameof(InvalidCounts))]
    public void Counts_below_minus_one_are_refused_naming_the_rule(string rule, RetentionPolicy policy)
    {
        var ex = Assert.Throws<ArgumentException>(policy.Validate);
        Assert.Equal(rule, ex.ParamName);
        Assert.StartsWith(rule + " is -", ex.Message);

        var planned = Assert.Throws<ArgumentException>(() => RetentionPlanner.Plan([], policy, TimeZoneInfo.Utc));
        Assert.Equal(rule, planned.ParamName);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    public void Minus_one_zero_and_positive_counts_are_valid(int value)
    {
        new RetentionPolicy { KeepLast = value, KeepHourly = value, KeepDaily = value, KeepWeekly = value, KeepMonthly = value, KeepYearly = value }.Validate();
    }

    [Fact]
    public void A_null_tag_list_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(new RetentionPolicy { KeepTags = [["a"], null!] }.Validate);
        Assert.Equal(nameof(RetentionPolicy.KeepTags), ex.ParamName);
        Assert.Throws<ArgumentException>(new RetentionPolicy { KeepTags = [["a", null!]] }.Validate);
    }

    public static IEnumerable<object[]> EmptyPolicies()
    {
        yield return [new RetentionPolicy()];
        yield return [new RetentionPolicy { KeepWithin = new RetentionDuration(), KeepWithinDaily = RetentionDuration.Parse("0d") }];
        yield return [new RetentionPolicy { KeepTags = null! }];
    }

    [Theory]
    [MemberData(nameof(EmptyPolicies))]
    public void A_policy_without_rules_is_empty_and_defaults_only_on_request(RetentionPolicy policy)
    {
        Assert.True(policy.IsEmpty);
        Assert.Same(RetentionPolicy.Default, policy.OrDefault());
        Assert.Equal("remove", policy.ToString());
    }

    public static IEnumerable<object[]> NonEmptyPolicies()
    {
        yield return [new RetentionPolicy { KeepLast = 1 }, "keep 1 latest snapshots"];
        yield return [new RetentionPolicy { KeepYearly = -1 }, "keep all yearly snapshots"];
        yield return [new RetentionPolicy { KeepWithin = RetentionDuration.Parse("7d") }, "keep all snapshots within 7d of the newest"];
        yield return [new RetentionPolicy { KeepWithinMonthly = RetentionDuration.Parse("1y") }, "keep monthly snapshots within 1y"];
        yield return [new RetentionPolicy { KeepTags = [["a", "b"], ["c"]] }, "keep all snapshots with tags [a, b] [c]"];
        yield return [RetentionPolicy.Default, "keep 30 daily, 12 weekly, 12 monthly snapshots"];
    }

    [Theory]
    [MemberData(nameof(NonEmptyPolicies))]
    public void A_policy_with_any_rule_is_used_as_given(RetentionPolicy policy, string description)
    {
        Assert.False(policy.IsEmpty);
        Assert.Same(policy, policy.OrDefault());
        Assert.Equal(description, policy.ToString());
    }

    [Fact]
    public void Default_is_daily_30_weekly_12_monthly_12()
    {
        var d = RetentionPolicy.Default;
        Assert.Equal((0, 0, 30, 12, 12, 0), (d.KeepLast, d.KeepHourly, d.KeepDaily, d.KeepWeekly, d.KeepMonthly, d.KeepYearly));
        Assert.Null(d.KeepWithin);
        Assert.Empty(d.KeepTags);
    }
}
