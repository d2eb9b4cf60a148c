using System.Globalization;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Tests.Retention;

/// <summary>Every case restic's own tests pin down: same kept backups, same reasons, same order.</summary>
public sealed class ResticGoldenTests
{
    public static IEnumerable<object[]> CaseNumbers => ResticPolicyCases.Cases.Select(c => new object[] { c.Number });

    [Theory]
    [MemberData(nameof(CaseNumbers))]
    public void Planner_keeps_what_restic_keeps_for_the_same_reasons(int caseNumber)
    {
        var @case = ResticPolicyCases.Cases.Single(c => c.Number == caseNumber);
        var snapshots = ResticPolicyCases.Snapshots;

        var decisions = RetentionPlanner.Plan(snapshots, @case.Policy, TimeZoneInfo.Utc);

        // Snapshots with the same time and tags are interchangeable, so compare what identifies a backup to restic.
        var expected = @case.Keep.Select((id, i) => Line(snapshots[id], @case.Reasons[i])).ToArray();
        var actual = decisions.Where(d => d.Action == RetentionAction.Keep).Select(d => Line(d.Candidate, d.Reasons)).ToArray();
        Assert.Equal(expected, actual);
        Assert.Equal(snapshots.Count - @case.Keep.Count, decisions.Count(d => d.Action == RetentionAction.Remove));
    }

    [Fact]
    public void Every_case_in_the_file_is_exercised()
    {
        // Guards against a loader that silently drops cases: the file has 25 (restic's 0-20 and 36-39).
        Assert.Equal(25, ResticPolicyCases.Cases.Count);
        Assert.Equal(103, ResticPolicyCases.Snapshots.Count);
    }

    static string Line(RetentionCandidate c, IEnumerable<string> reasons) =>
        $"{c.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture)} [{string.Join(",", c.Tags)}] {string.Join(" | ", reasons)}";
}
