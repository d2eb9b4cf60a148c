using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Trust;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// When each pack of a repository in a local directory was last hashed in full, and the file's identity then (size,
/// device, inode, modification and status-change times). A Standard backup re-reads a pack it shares with earlier
/// snapshots unless the file is provably the one that was hashed: a rewrite or an in-place byte change moves the
/// status-change time, which no user can set back. Silent media decay moves nothing, so each backup also re-reads a
/// rolling share (1/<see cref="RollingCycle"/> of the packs it would trust, oldest-hashed first).
/// Only ever a reason to skip work, never evidence of damage: lost, damaged, stale or from a newer module means
/// "unknown", and an unknown pack is hashed. Written whole (temporary file, rename); two backups writing at once merge
/// what each read last and the later rename wins, at worst forgetting some records (those packs are hashed again).
/// </summary>
internal sealed class PackHashLedger
{
    public const string Name = "sqlitebackup-pack-hashes.json";
    const string SchemaName = "sqlitebackup-pack-hashes";
    const int SchemaVersion = 1;
    const int MaxBytes = 16 << 20;

    /// <summary>Each backup re-reads 1/this of the shared packs it could trust (at least one): all of them once in so many backups.</summary>
    public const int RollingCycle = 8;

    /// <summary>
    /// A file changed this close before its hash began is not trusted: file times come from a coarse clock (and, on a
    /// network file system, the server's), so a change right after the hash could carry the very same times.
    /// </summary>
    public static readonly TimeSpan RacyMargin = TimeSpan.FromSeconds(2);

    public sealed record Entry(long Size, ulong Device, ulong Inode, long ModifiedNs, long ChangedNs, DateTime HashedUtc)
    {
        public static Entry Of(FileStatus s, DateTime hashedUtc) => new(s.Size, s.Device, s.Inode, s.ModifiedNs, s.ChangedNs, hashedUtc);

        /// <summary>The same file, unchanged, and its last change long enough before the hash to be told apart from a later one.</summary>
        public bool Vouches(FileStatus now, long expectedSize, TimeSpan margin)
        {
            if (now.Size != Size || Size != expectedSize || now.Device != Device || now.Inode != Inode || now.ModifiedNs != ModifiedNs || now.ChangedNs != ChangedNs) return false;
            long hashedNs = (HashedUtc - DateTime.UnixEpoch).Ticks * 100;
            long marginNs = margin.Ticks * 100;
            return ChangedNs <= hashedNs - marginNs && ModifiedNs <= hashedNs - marginNs;
        }
    }

    /// <summary>Which shared packs to read now, and which the ledger vouches for; <see cref="Changed"/> of <see cref="Hash"/> had no valid record.</summary>
    public sealed record Plan(IReadOnlyList<PackRef> Hash, IReadOnlyList<PackRef> Trusted, int Changed, int Rolling, DateTime? OldestTrustedHashUtc);

    readonly Dictionary<string, Entry> _entries;

    PackHashLedger(Dictionary<string, Entry> entries) => _entries = entries;

    public static PackHashLedger Empty() => new(new Dictionary<string, Entry>(StringComparer.Ordinal));

    public int Count => _entries.Count;

    public Entry? this[string pack] => _entries.GetValueOrDefault(pack);

    /// <summary>The ledger in <paramref name="store"/>; empty when it is missing or cannot be used.</summary>
    public static PackHashLedger Load(IBackupStore store, ILogger log, CancellationToken ct)
    {
        try
        {
            if (store.Stat(Name, ct) == null) return Empty();
            // A reason to skip hashing must come from us: a ledger someone else planted could vouch for a damaged pack.
            string? distrust = null;
            byte[] json = store is IFileSystemStore files ? files.ReadOwned(Name, MaxBytes, out distrust) : store.ReadAllBytes(Name, ct, MaxBytes);
            if (distrust != null) return Unusable(store, log, distrust);
            return Parse(json) ?? Unusable(store, log, "it is not a ledger this module understands");
        }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { return Empty(); }
        catch (Exception e) when (e is SqliteBackupException or IOException or UnauthorizedAccessException) { return Unusable(store, log, e.Message); }
    }

    static PackHashLedger Unusable(IBackupStore store, ILogger log, string why)
    {
        log.LogDebug("The pack hash ledger in {Location} is not used ({Why}): every shared pack is hashed", store.Location, why);
        return Empty();
    }

    internal static PackHashLedger? Parse(byte[] json)
    {
        Document? d;
        try { d = JsonSerializer.Deserialize<Document>(json, Json); }
        catch (JsonException) { return null; }
        if (d is not { Schema: SchemaName, SchemaVersion: SchemaVersion, Packs: { } packs }) return null;
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var (name, e) in packs)
            if (RepositoryNames.IsPack(name) && e != null && e.Size >= 0 && e.HashedUtc.Kind == DateTimeKind.Utc) entries[name] = e;
        return new PackHashLedger(entries);
    }

    /// <summary>
    /// Splits <paramref name="shared"/>: a pack without a record that vouches for its file as it is now
    /// (<paramref name="stat"/>, null when it cannot be read) is hashed; of the rest, the oldest-hashed
    /// 1/<see cref="RollingCycle"/> (rounded up) are hashed; the others are trusted.
    /// </summary>
    public Plan Split(IReadOnlyList<PackRef> shared, Func<string, FileStatus?> stat, TimeSpan margin)
    {
        var hash = new List<PackRef>();
        var vouched = new List<(PackRef Pack, DateTime HashedUtc)>();
        // A hash "in the future" (a clock once far ahead) is no record: it would sort last for the rolling re-read for years.
        var utcNow = DateTime.UtcNow;
        foreach (var pack in shared)
        {
            if (_entries.GetValueOrDefault(pack.Name) is { } e && e.HashedUtc <= utcNow && stat(pack.Name) is { } now && e.Vouches(now, pack.Size, margin)) vouched.Add((pack, e.HashedUtc));
            else hash.Add(pack);
        }
        int changed = hash.Count;
        int rolling = (vouched.Count + RollingCycle - 1) / RollingCycle;
        var trusted = new List<PackRef>();
        DateTime? oldest = null;
        foreach (var (pack, hashedUtc) in vouched.OrderBy(v => v.HashedUtc).ThenBy(v => v.Pack.Name, StringComparer.Ordinal))
        {
            if (rolling-- > 0)
            {
                hash.Add(pack);
                continue;
            }
            trusted.Add(pack);
            oldest ??= hashedUtc;
        }
        return new Plan(hash, trusted, changed, hash.Count - changed, oldest);
    }

    bool _recorded;

    public void Record(string pack, Entry entry)
    {
        _entries[pack] = entry;
        _recorded = true;
    }

    /// <summary>
    /// Writes the ledger merged with the one stored now (another backup may have written since it was read; the later
    /// hash of a pack wins), keeping only packs that still exist; nothing when nothing was recorded. A failure costs only
    /// hashing next time: logged, not thrown.
    /// </summary>
    public void Save(IBackupStore store, ILogger log, CancellationToken ct)
    {
        if (!_recorded) return;
        try
        {
            var merged = Load(store, log, ct)._entries;
            foreach (var (name, e) in _entries)
                if (!merged.TryGetValue(name, out var other) || other.HashedUtc < e.HashedUtc) merged[name] = e;
            var live = store.List(ct).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            var document = new Document
            {
                Schema = SchemaName,
                SchemaVersion = SchemaVersion,
                Packs = merged.Where(p => live.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => (Entry?)p.Value, StringComparer.Ordinal),
            };
            using var ms = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document, Json));
            store.Put(Name, ms, createOnly: false, null, ct);
        }
        catch (Exception e) when (e is SqliteBackupException or IOException or UnauthorizedAccessException)
        {
            log.LogWarning("Could not record which packs were hashed in {Location}: {Message}; the next Standard backup hashes them again", store.Location, e.Message);
        }
    }

    sealed class Document
    {
        public string? Schema { get; set; }
        public int SchemaVersion { get; set; }
        public Dictionary<string, Entry?>? Packs { get; set; }
    }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
