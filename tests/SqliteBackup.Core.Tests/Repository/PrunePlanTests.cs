using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// Prune decisions as a table: each case is a listing (objects with their age), the snapshots that parse (and the
/// packs they name), and the expected plan rendered one object per line, so a changed rule shows as a changed line.
/// Pack names are written by their first hex digit: "a" is pack-aaaa...aaaa.
/// </summary>
public sealed class PrunePlanTests
{
    static readonly DateTime Now = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);

    static string P(char c) => RepositoryNames.Pack(new string(c, 64));
    static string I(char c) => RepositoryNames.IndexOf(P(c));

    /// <summary>"a.pack 100 90m": pack a, 100 bytes, written 90 minutes ago; "x.manifest.json 10 5m" any other object.</summary>
    static StoredObject Obj(string spec)
    {
        var parts = spec.Split(' ');
        string name = parts[0] switch
        {
            [var c, '.', 'p', 'a', 'c', 'k'] => P(c),
            [var c, '.', 'i', 'n', 'd', 'e', 'x'] => I(c),
            var other => other,
        };
        return new StoredObject(name, long.Parse(parts[1]), Now - TimeSpan.FromMinutes(int.Parse(parts[2].TrimEnd('m'))));
    }

    static SnapshotManifestRead Snap(string name, string packs) => new(name + ".snapshot.manifest.json", new BackupManifest
    {
        File = name + ".snapshot",
        SchemaVersion = BackupManifest.SnapshotSchemaVersion,
        Repository = new SnapshotRepository { Packs = packs.Select(c => new PackRef(P(c), 100)).ToList() },
    });

    static string Render(PrunePlan plan)
    {
        static string Short(string n) => RepositoryNames.IsPack(n) || RepositoryNames.IsIndex(n) ? n[5] + n[(5 + 64)..] : n;
        var lines = plan.Decisions.Select(d => $"{d.Action.ToString().ToLowerInvariant()} {Short(d.Name)} {d.Reason}{(d.Snapshots > 0 ? $" by {d.Snapshots}" : "")}").ToList();
        lines.Add(plan.Refused ? $"refused by {plan.RefusedBy!.Name}" : $"freed {plan.BytesFreed}");
        return string.Join("\n", lines);
    }

    public static TheoryData<string, string[], string[], string> Cases => new()
    {
        {
            "referenced packs stay with their indexes; an unreferenced old pair goes",
            ["s1:ab", "s2:b"],
            ["a.pack 1000 600m", "a.index 64 600m", "b.pack 2000 300m", "b.index 96 300m", "c.pack 500 120m", "c.index 48 120m"],
            """
            keep a.index Referenced by 1
            keep a.pack Referenced by 1
            keep b.index Referenced by 2
            keep b.pack Referenced by 2
            delete c.index Unreferenced
            delete c.pack Unreferenced
            freed 548
            """
        },
        {
            "a pack younger than an hour is kept even unreferenced, and so is its index",
            [],
            ["c.pack 500 59m", "c.index 48 59m", "d.pack 700 61m", "d.index 40 61m"],
            """
            keep c.index Young
            keep c.pack Young
            delete d.index Unreferenced
            delete d.pack Unreferenced
            freed 740
            """
        },
        {
            "a young index keeps its old pack (the pair goes together)",
            [],
            ["e.pack 500 90m", "e.index 48 10m"],
            """
            keep e.index Young
            keep e.pack Young
            freed 0
            """
        },
        {
            "an old index without its pack and an old pack without its index go",
            [],
            ["f.index 48 600m", "9.pack 900 600m", "8.index 48 5m"],
            """
            keep 8.index Young
            delete 9.pack OrphanPack
            delete f.index OrphanIndex
            freed 948
            """
        },
        {
            "a referenced pack whose index is missing, and the index of a referenced pack that is missing, are kept (damage for the check, never for prune)",
            ["s1:76"],
            ["7.pack 100 600m", "6.index 48 600m"],
            """
            keep 6.index Referenced by 1
            keep 7.pack Referenced by 1
            freed 0
            """
        },
        {
            "objects that are not packs are never candidates, a future-dated pack is young",
            ["s1:a"],
            ["a.pack 100 600m", "a.index 48 600m", "app_20261130T010000Z_Manual_x.db.zst 5000 900m", "lock-shared-1.json 100 900m",
             "sqlitebackup-repository.json 100 900m", "pack-zz.pack 5 900m", "5.pack 100 -600m", "5.index 48 -600m"],
            """
            keep 5.index Young
            keep 5.pack Young
            keep a.index Referenced by 1
            keep a.pack Referenced by 1
            freed 0
            """
        },
        {
            "a snapshot manifest that does not parse refuses the whole prune",
            ["s1:a", "s2!"],
            ["a.pack 100 600m", "a.index 48 600m", "c.pack 500 600m", "c.index 48 600m"],
            """
            keep a.index Referenced
            keep a.pack Referenced
            keep c.index Referenced
            keep c.pack Referenced
            refused by s2.snapshot.manifest.json
            """
        },
        {
            "no snapshots at all: every old pack goes",
            [],
            ["a.pack 100 600m", "a.index 48 600m"],
            """
            delete a.index Unreferenced
            delete a.pack Unreferenced
            freed 148
            """
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Prune_decides(string because, string[] snapshots, string[] objects, string expected)
    {
        var snaps = snapshots.Select(s => s.EndsWith('!')
            ? new SnapshotManifestRead(s[..^1] + ".snapshot.manifest.json", null, "not valid JSON")
            : Snap(s.Split(':')[0], s.Split(':')[1])).ToList();
        var plan = PrunePlan.Create(snaps, objects.Select(Obj).ToList(), Now);
        Assert.True(expected.ReplaceLineEndings("\n") == Render(plan), $"{because}:\nexpected\n{expected}\ngot\n{Render(plan)}");
    }

    [Fact]
    public void A_refused_plan_names_the_manifest_and_its_problem_and_deletes_nothing()
    {
        var plan = PrunePlan.Create([new SnapshotManifestRead("x.snapshot.manifest.json", null, "schema version 3 is newer")], [Obj("a.pack 1 600m")], Now);
        Assert.True(plan.Refused);
        Assert.Equal("schema version 3 is newer", plan.RefusedBy!.Problem);
        Assert.Empty(plan.Deleted);
        Assert.Equal(0, plan.BytesFreed);
    }
}
