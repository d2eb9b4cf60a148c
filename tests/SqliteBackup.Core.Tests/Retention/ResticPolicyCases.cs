using System.Globalization;
using System.Text.Json;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Tests.Retention;

/// <summary>
/// testdata/restic-policy-cases.json: restic's own ApplyPolicy golden results (BSD-2, see testdata/NOTICE.md),
/// loaded once. Snapshot ids become candidate ids so a case's keep list can be looked up.
/// </summary>
internal static class ResticPolicyCases
{
    public sealed record Case(int Number, RetentionPolicy Policy, IReadOnlyList<int> Keep, IReadOnlyList<IReadOnlyList<string>> Reasons);

    static readonly Lazy<(IReadOnlyList<RetentionCandidate> Snapshots, IReadOnlyList<Case> Cases)> Data = new(Load);

    public static IReadOnlyList<RetentionCandidate> Snapshots => Data.Value.Snapshots;
    public static IReadOnlyList<Case> Cases => Data.Value.Cases;

    static (IReadOnlyList<RetentionCandidate>, IReadOnlyList<Case>) Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Retention", "testdata", "restic-policy-cases.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;

        var snapshots = root.GetProperty("snapshots").EnumerateArray().Select(s => new RetentionCandidate(
            s.GetProperty("id").GetInt32().ToString(CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(s.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            s.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray())).ToArray();
        for (int i = 0; i < snapshots.Length; i++) Assert.Equal(i.ToString(CultureInfo.InvariantCulture), snapshots[i].Id);

        var cases = root.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("case").GetInt32(),
            ToPolicy(c.GetProperty("policy")),
            c.GetProperty("keep").EnumerateArray().Select(k => k.GetInt32()).ToArray(),
            c.GetProperty("reasons").EnumerateArray().Select(r => (IReadOnlyList<string>)r.EnumerateArray().Select(x => x.GetString()!).ToArray()).ToArray()))
            .ToArray();
        return (snapshots, cases);
    }

    static RetentionPolicy ToPolicy(JsonElement policy)
    {
        var p = new RetentionPolicy();
        foreach (var prop in policy.EnumerateObject())
        {
            var v = prop.Value;
            RetentionDuration D() => RetentionDuration.Parse(v.GetString()!);
            p = prop.Name switch
            {
                "keepLast" => p with { KeepLast = v.GetInt32() },
                "keepHourly" => p with { KeepHourly = v.GetInt32() },
                "keepDaily" => p with { KeepDaily = v.GetInt32() },
                "keepWeekly" => p with { KeepWeekly = v.GetInt32() },
                "keepMonthly" => p with { KeepMonthly = v.GetInt32() },
                "keepYearly" => p with { KeepYearly = v.GetInt32() },
                "keepWithin" => p with { KeepWithin = D() },
                "keepWithinHourly" => p with { KeepWithinHourly = D() },
                "keepWithinDaily" => p with { KeepWithinDaily = D() },
                "keepWithinWeekly" => p with { KeepWithinWeekly = D() },
                "keepWithinMonthly" => p with { KeepWithinMonthly = D() },
                "keepWithinYearly" => p with { KeepWithinYearly = D() },
                "keepTags" => p with
                {
                    KeepTags = v.EnumerateArray().Select(l => (IReadOnlyList<string>)l.EnumerateArray().Select(t => t.GetString()!).ToArray()).ToArray(),
                },
                _ => throw new InvalidDataException($"Unknown policy key '{prop.Name}' in restic-policy-cases.json; map it here."),
            };
        }
        return p;
    }
}
