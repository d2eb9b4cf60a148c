using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// A lock object in a repository: <c>lock-shared-&lt;guid&gt;.json</c> (backups, any number at once) or
/// <c>lock-exclusive-&lt;guid&gt;.json</c> (prune, alone). Any store can hold one (create-only put, list, delete), so the
/// same protocol works on a directory and on a bucket: put your own first, then list; whoever sees a conflicting live
/// lock deletes its own and backs off. Since each side puts before it lists, at least one of two racers sees the other,
/// so a backup and a prune never both go ahead; at worst both back off. A holder refreshes its object every
/// <see cref="RefreshInterval"/>; an object not refreshed for <see cref="StaleAfter"/>, or left by a process of this host
/// that is gone, is stale and removed by whoever finds it (a killed holder cannot release its lock).
/// The JSON names a host, a process and an operation: never a secret.
/// </summary>
public sealed class RepositoryLock : IDisposable
{
    public const string Prefix = "lock-";
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);

    readonly IBackupStore _store;
    readonly ILogger _log;
    readonly TimeProvider _clock;
    readonly object _gate = new();
    ITimer? _timer;
    bool _released;

    public string Name { get; }
    public LockInfo Info { get; private set; }

    RepositoryLock(IBackupStore store, string name, LockInfo info, ILogger log, TimeProvider clock, TimeSpan refresh)
    {
        _store = store;
        Name = name;
        Info = info;
        _log = log;
        _clock = clock;
        _timer = clock.CreateTimer(_ => Refresh(), null, refresh, refresh);
    }

    /// <summary>What a lock object holds. <see cref="ProcessStartUtc"/> tells a live holder from a later process that got its pid.</summary>
    public sealed record LockInfo(
        string Kind, string Host, int Pid, string Operation, DateTime CreatedUtc, DateTime RefreshedUtc, DateTime? ProcessStartUtc = null);

    public static bool IsLockName(string name) =>
        name.StartsWith(Prefix, StringComparison.Ordinal) && name.EndsWith(".json", StringComparison.Ordinal);

    static string KindOf(string name) => name.StartsWith(Prefix + "exclusive-", StringComparison.Ordinal) ? "exclusive" : "shared";

    /// <summary>
    /// A shared lock for a backup: waits, backing off, while a live exclusive lock (a prune) is there, for at most
    /// <paramref name="wait"/>; then RepositoryLocked naming the holder.
    /// </summary>
    public static RepositoryLock AcquireShared(IBackupStore store, string operation, TimeSpan wait, ILogger log, CancellationToken ct = default) =>
        AcquireShared(store, operation, wait, log, TimeProvider.System, RefreshInterval, ct);

    internal static RepositoryLock AcquireShared(IBackupStore store, string operation, TimeSpan wait, ILogger log, TimeProvider clock, TimeSpan refresh,
        CancellationToken ct = default)
    {
        var deadline = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var own = Put(store, "shared", operation, clock, ct);
            var holder = Conflicts(store, own.Name, exclusiveOnly: true, log, clock, ct).FirstOrDefault();
            if (holder == null) return new RepositoryLock(store, own.Name, own.Info, log, clock, refresh);
            TryDelete(store, own.Name, log);
            if (deadline.Elapsed >= wait)
                throw BackupErrors.RepositoryLocked(store.Location, holder.Host, holder.Pid, holder.Operation, holder.CreatedUtc, deadline.Elapsed);
            // Jittered, so two backups that back off from the same prune do not retry in lockstep with it.
            var sleep = TimeSpan.FromMilliseconds(pause.TotalMilliseconds * (0.5 + Random.Shared.NextDouble()));
            var left = wait - deadline.Elapsed;
            if (ct.WaitHandle.WaitOne(sleep < left ? sleep : left)) ct.ThrowIfCancellationRequested();
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 5000));
        }
    }

    /// <summary>
    /// The exclusive lock for a prune, or null (without waiting) when any other live lock is there: a backup is running,
    /// or another prune. <paramref name="holders"/> gets who was in the way.
    /// </summary>
    public static RepositoryLock? TryAcquireExclusive(IBackupStore store, string operation, ILogger log, out IReadOnlyList<LockInfo> holders,
        CancellationToken ct = default) =>
        TryAcquireExclusive(store, operation, log, TimeProvider.System, RefreshInterval, out holders, ct);

    internal static RepositoryLock? TryAcquireExclusive(IBackupStore store, string operation, ILogger log, TimeProvider clock, TimeSpan refresh,
        out IReadOnlyList<LockInfo> holders, CancellationToken ct = default)
    {
        var own = Put(store, "exclusive", operation, clock, ct);
        holders = Conflicts(store, own.Name, exclusiveOnly: false, log, clock, ct);
        if (holders.Count == 0) return new RepositoryLock(store, own.Name, own.Info, log, clock, refresh);
        TryDelete(store, own.Name, log);
        return null;
    }

    static (string Name, LockInfo Info) Put(IBackupStore store, string kind, string operation, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var info = new LockInfo(kind, Environment.MachineName, Environment.ProcessId, operation, now, now, ProcessStart(Environment.ProcessId));
        string name = $"{Prefix}{kind}-{Guid.NewGuid():N}.json";
        using var ms = new MemoryStream(Serialize(info));
        store.Put(name, ms, createOnly: true, null, ct);
        return (name, info);
    }

    /// <summary>The live locks other than ours that conflict; stale ones found on the way are removed.</summary>
    static List<LockInfo> Conflicts(IBackupStore store, string own, bool exclusiveOnly, ILogger log, TimeProvider clock, CancellationToken ct)
    {
        var live = new List<LockInfo>();
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var o in store.List(ct))
        {
            if (!IsLockName(o.Name) || o.Name == own) continue;
            if (exclusiveOnly && KindOf(o.Name) != "exclusive") continue;
            var info = TryRead(store, o, ct);
            if (info == null) continue; // released meanwhile
            string? stale = StaleReason(info, now);
            if (stale == null)
            {
                live.Add(info);
                continue;
            }
            TryDelete(store, o.Name, log);
            log.LogWarning(BackupEvents.RepositoryStaleLockRemoved,
                "Removed the stale {Kind} lock {Name} in {Location} ({Operation} by process {Pid} on {Host} since {Since:u}): {Reason}",
                info.Kind, o.Name, store.Location, info.Operation, info.Pid, info.Host, info.CreatedUtc, stale);
        }
        return live;
    }

    /// <summary>The lock in an object, or null when it is gone. One we cannot read counts as live until it is old.</summary>
    static LockInfo? TryRead(IBackupStore store, StoredObject o, CancellationToken ct)
    {
        byte[] bytes;
        try { bytes = store.ReadAllBytes(o.Name, ct, 64 << 10); }
        catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { return null; }
        try
        {
            if (JsonSerializer.Deserialize<LockInfo>(bytes, Json) is { Kind: not null, Host: not null, Operation: not null } info) return info;
        }
        catch (JsonException) { }
        return new LockInfo(KindOf(o.Name), "an unknown host", 0, "an unreadable lock object", o.ModifiedUtc, o.ModifiedUtc);
    }

    /// <summary>Why a lock is stale, or null when its holder may still be running.</summary>
    internal static string? StaleReason(LockInfo info, DateTime nowUtc)
    {
        if (nowUtc - info.RefreshedUtc > StaleAfter) return $"not refreshed since {info.RefreshedUtc:u}";
        if (info.Pid > 0 && string.Equals(info.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
        {
            var start = ProcessStart(info.Pid);
            if (start == null) return $"process {info.Pid} is no longer running";
            // A pid is reused: the process now running under it started after the lock's holder did.
            if (info.ProcessStartUtc is { } recorded && Math.Abs((start.Value - recorded).TotalSeconds) > 2)
                return $"process {info.Pid} is another process than the one that took the lock (started {start:u})";
        }
        return null;
    }

    /// <summary>When process <paramref name="pid"/> of this host started, or null when it is not running (a zombie counts as gone).</summary>
    static DateTime? ProcessStart(int pid)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                // The state after the command name's closing parenthesis: Z (zombie) and X (dead) hold no lock.
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                int close = stat.LastIndexOf(')');
                if (close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X') return null;
            }
            using var p = Process.GetProcessById(pid);
            return p.StartTime.ToUniversalTime();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    static void TryDelete(IBackupStore store, string name, ILogger log)
    {
        try { store.Delete(name); }
        catch (Exception e) when (e is SqliteBackupException or IOException)
        {
            log.LogWarning("Could not delete the repository lock {Name} in {Location}: {Message}; it goes stale and is removed later", name, store.Location, e.Message);
        }
    }

    /// <summary>Replaces the object with a new refreshedUtc, so others see the holder alive however long it runs.</summary>
    void Refresh()
    {
        lock (_gate)
        {
            if (_released) return;
            Info = Info with { RefreshedUtc = _clock.GetUtcNow().UtcDateTime };
            try
            {
                using var ms = new MemoryStream(Serialize(Info));
                _store.Put(Name, ms, createOnly: false);
            }
            catch (Exception e) when (e is SqliteBackupException or IOException)
            {
                _log.LogWarning("Could not refresh the repository lock {Name} in {Location}: {Message}; trying again in {Minutes} min",
                    Name, _store.Location, e.Message, RefreshInterval.TotalMinutes);
            }
        }
    }

    /// <summary>Deletes the lock object; a refresh under way finishes first, and none follows.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_released) return;
            _released = true;
            _timer?.Dispose();
            _timer = null;
        }
        TryDelete(_store, Name, _log);
    }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    static byte[] Serialize(LockInfo info) => JsonSerializer.SerializeToUtf8Bytes(info, Json);
}
