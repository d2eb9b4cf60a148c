using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Tests.Repository;

public sealed class RepositoryCheckTests
{
    [Fact]
    public void A_sound_repository_has_no_problems_and_each_damage_names_its_object_and_the_snapshots_it_affects()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        var first = RepositoryPrunerTests.Snapshot(t["live.db"], t["repo"]);
        foreach (var f in Directory.GetFiles(t.Path, "live.db*")) File.Delete(f);
        Db.Exec(t["live.db"], "CREATE TABLE other(pad); INSERT INTO other SELECT randomblob(900) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n);");
        var second = RepositoryPrunerTests.Snapshot(t["live.db"], t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);

        var sound = RepositoryCheck.Run(store);
        Assert.True(sound.Sound, string.Join("; ", sound.Problems));
        Assert.Equal(2, sound.Snapshots);
        Assert.True(sound.BytesRead > 0);

        string firstPack = first.Manifest.Repository!.AddedPacks.Single();
        string secondPack = second.Manifest.Repository!.AddedPacks.Single();
        string firstName = Path.GetFileName(first.ManifestPath), secondName = Path.GetFileName(second.ManifestPath);
        // One byte of the first snapshot's pack flipped, in its second block's frame.
        var bytes = File.ReadAllBytes(Path.Combine(t["repo"], firstPack));
        var entries = PackIndex.TryDecode(File.ReadAllBytes(Path.Combine(t["repo"], RepositoryNames.IndexOf(firstPack))), out _)!;
        bytes[entries[1].Offset + entries[1].StoredLength / 2] ^= 0xFF;
        File.WriteAllBytes(Path.Combine(t["repo"], firstPack), bytes);
        File.Delete(Path.Combine(t["repo"], RepositoryNames.IndexOf(secondPack)));

        var damaged = RepositoryCheck.Run(store);
        Assert.False(damaged.Sound);
        Assert.Contains(damaged.Problems, p => p.Object == firstPack && p.Entry == null && p.Problem.Contains("SHA-256") && p.Snapshots.SequenceEqual([firstName]));
        Assert.Contains(damaged.Problems, p => p.Object == firstPack && p.Entry == 1 && p.Snapshots.SequenceEqual([firstName]));
        Assert.Contains(damaged.Problems, p => p.Object == RepositoryNames.IndexOf(secondPack) && p.Problem == "it is missing" && p.Snapshots.SequenceEqual([secondName]));
        Assert.Equal(new[] { firstName, secondName }.Order(StringComparer.Ordinal), damaged.AffectedSnapshots);

        File.Delete(Path.Combine(t["repo"], secondPack));
        Assert.Contains(RepositoryCheck.Run(store).Problems, p => p.Object == secondPack && p.Problem == "it is missing" && p.Snapshots.SequenceEqual([secondName]));
    }
}
