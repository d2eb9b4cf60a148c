using System.Security.Cryptography;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using ZstdSharp;

namespace SqliteBackup.Core.Repository;

/// <param name="Object">The pack, index or manifest that is wrong.</param>
/// <param name="Entry">The block (entry of the pack) that is wrong, or null when the whole object is.</param>
/// <param name="Snapshots">The snapshot manifests that cannot be restored because of it.</param>
public sealed record RepositoryProblem(string Object, int? Entry, string Problem, IReadOnlyList<string> Snapshots);

public sealed record RepositoryCheckResult(string Location, int Snapshots, int Packs, long BytesRead, IReadOnlyList<RepositoryProblem> Problems)
{
    public bool Sound => Problems.Count == 0;
    /// <summary>An encrypted repository checked without its key: packs against their names and indexes, but no block decrypted.</summary>
    public bool BlocksUnchecked { get; init; }
    public IReadOnlyList<string> AffectedSnapshots => Problems.SelectMany(p => p.Snapshots).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}

/// <summary>
/// The repository check: every pack and index read once; a pack's bytes must hash to its name and match its index,
/// each block must decompress to the hash its index records, and every snapshot's block list must resolve to entries
/// that exist. Each problem names the object (and block) and the snapshots it affects. Reads; never writes or deletes.
/// </summary>
public static class RepositoryCheck
{
    /// <param name="keys">For an encrypted repository: with them every manifest is authenticated and every block decrypted
    /// and checked; without them (as Quick verification) each pack is checked against its name and index only.</param>
    public static RepositoryCheckResult Run(IBackupStore store, Action<long>? read = null, CancellationToken ct = default, Encryption.BackupKeys? keys = null)
    {
        var config = RepositoryConfig.Read(store, ct);
        bool encrypted = config?.Encryption != null;
        var key = encrypted && keys != null && !keys.IsEmpty ? RepositoryKey.Open(store, keys, ct) : null;
        if (key != null) RepositoryConfig.CheckKey(config!, store.Location, key);
        var listing = store.List(ct);
        var objects = listing.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var problems = new List<RepositoryProblem>();
        var snapshots = RepositoryPruner.ReadSnapshots(store, listing, ct);
        foreach (var s in snapshots.Where(s => s.Manifest?.Repository == null))
            problems.Add(new RepositoryProblem(s.Name, null, s.Problem ?? "it names no repository", [s.Name]));
        var usable = snapshots.Where(s => s.Manifest?.Repository != null).ToList();
        foreach (var s in usable.ToList())
        {
            string? wrong = null;
            if (encrypted && !s.Manifest!.IsEncrypted) wrong = "its repository is encrypted but its manifest records no encryption and carries no MAC";
            else if (key != null)
            {
                try { Encryption.BackupKeys.Authenticate(s.Manifest!, keys, s.Name); }
                catch (SqliteBackupException e) when (e.ErrorId is "BackupNotAuthentic" or "EncryptionWrongIdentity") { wrong = e.Message; }
            }
            if (wrong == null) continue;
            problems.Add(new RepositoryProblem(s.Name, null, wrong, [s.Name]));
            usable.Remove(s);
        }

        // Who needs what: pack -> snapshots, and (pack, entry) -> snapshots, from each block list.
        var byPack = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var byEntry = new Dictionary<(string, int), List<string>>();
        foreach (var s in usable)
        {
            var r = s.Manifest!.Repository!;
            foreach (var p in r.Packs.Select(p => p.Name).Distinct(StringComparer.Ordinal))
                (byPack.TryGetValue(p, out var l) ? l : byPack[p] = []).Add(s.Name);
            var blocks = BlockList.TryDecode(r.Blocks, r.BlocksSha256, r.BlockCount, r.Packs.Count, out var problem);
            if (blocks == null)
            {
                problems.Add(new RepositoryProblem(s.Name, null, "its block list cannot be read: " + problem, [s.Name]));
                continue;
            }
            foreach (var b in blocks.Distinct())
                (byEntry.TryGetValue((r.Packs[b.Pack].Name, b.Entry), out var l) ? l : byEntry[(r.Packs[b.Pack].Name, b.Entry)] = []).Add(s.Name);
        }
        IReadOnlyList<string> Users(string pack) => byPack.TryGetValue(pack, out var l) ? l : [];

        var packs = listing.Where(o => RepositoryNames.IsPack(o.Name)).Select(o => o.Name).Union(byPack.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var indexes = new Dictionary<string, IReadOnlyList<PackEntry>>(StringComparer.Ordinal);
        long bytesRead = 0;
        using var decompressor = new Decompressor();
        var raw = new byte[RepositoryConfig.MaxBlockSize];
        foreach (var pack in packs)
        {
            ct.ThrowIfCancellationRequested();
            string indexName = RepositoryNames.IndexOf(pack);
            IReadOnlyList<PackEntry>? index = null;
            if (!objects.ContainsKey(indexName)) problems.Add(new RepositoryProblem(indexName, null, "it is missing", Users(pack)));
            else
            {
                var bytes = store.ReadAllBytes(indexName, ct, 64 << 20);
                bytesRead += bytes.Length;
                index = PackIndex.TryDecode(bytes, out var problem);
                if (index == null) problems.Add(new RepositoryProblem(indexName, null, problem!, Users(pack)));
                else indexes[pack] = index;
            }
            if (!objects.ContainsKey(pack))
            {
                problems.Add(new RepositoryProblem(pack, null, "it is missing", Users(pack)));
                continue;
            }
            byte[] data;
            try { data = store.ReadAllBytes(pack, ct, int.MaxValue - 64); }
            catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound")
            {
                problems.Add(new RepositoryProblem(pack, null, "it is missing", Users(pack)));
                continue;
            }
            bytesRead += data.Length;
            read?.Invoke(bytesRead);
            string sha = Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();
            if (sha != RepositoryNames.HashOfPack(pack)) problems.Add(new RepositoryProblem(pack, null, $"its SHA-256 is {sha}, not the one its name promises", Users(pack)));
            if (index == null) continue;
            if (!PackIndex.SizeFits(index, data.Length, encrypted))
            {
                problems.Add(new RepositoryProblem(pack, null, $"it is {data.Length} bytes, its index describes {PackIndex.PackSize(index)} bytes of frames", Users(pack)));
                continue;
            }
            if (encrypted)
            {
                if (key == null) continue;
                try
                {
                    using var plain = new MemoryStream((int)PackIndex.PackSize(index));
                    using (var open = key.OpenPack(new MemoryStream(data), pack)) open.CopyTo(plain);
                    data = plain.ToArray();
                }
                catch (SqliteBackupException e) when (e.ErrorId == "EncryptedDataDamaged")
                {
                    problems.Add(new RepositoryProblem(pack, null, "it does not authenticate: " + e.Message, Users(pack)));
                    continue;
                }
                if (data.Length != PackIndex.PackSize(index))
                {
                    problems.Add(new RepositoryProblem(pack, null, $"it decrypts to {data.Length} bytes, its index describes {PackIndex.PackSize(index)}", Users(pack)));
                    continue;
                }
            }
            for (int i = 0; i < index.Count; i++)
            {
                var e = index[i];
                string? wrong = null;
                try
                {
                    int n = decompressor.Unwrap(data.AsSpan((int)e.Offset, e.StoredLength), raw);
                    if (n != e.RawLength || (key?.BlockId(raw.AsSpan(0, n)) ?? BlockHash.Of(raw.AsSpan(0, n))) != e.Hash) wrong = "it does not decompress to its block id";
                }
                catch (ZstdException x) { wrong = $"it does not decompress ({x.Message})"; }
                if (wrong != null) problems.Add(new RepositoryProblem(pack, i, wrong, byEntry.TryGetValue((pack, i), out var l) ? l : []));
            }
        }

        // Each snapshot's references: entries that exist, packs of the size it recorded.
        foreach (var s in usable)
        {
            var r = s.Manifest!.Repository!;
            foreach (var p in r.Packs)
            {
                if (objects.TryGetValue(p.Name, out var o) && o.Size != p.Size)
                    problems.Add(new RepositoryProblem(p.Name, null, $"it is {o.Size} bytes, the snapshot records {p.Size}", [s.Name]));
                if (indexes.TryGetValue(p.Name, out var index))
                {
                    int max = byEntry.Where(k => k.Key.Item1 == p.Name && k.Value.Contains(s.Name)).Select(k => k.Key.Item2).DefaultIfEmpty(-1).Max();
                    if (max >= index.Count) problems.Add(new RepositoryProblem(p.Name, max, $"the snapshot needs entry {max}, the index has {index.Count}", [s.Name]));
                }
            }
        }
        return new RepositoryCheckResult(store.Location, snapshots.Count, packs.Count, bytesRead, problems) { BlocksUnchecked = encrypted && key == null };
    }
}
