using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// One destination of one database in a job run: copy the new backup (data, check of what the destination stored,
/// manifest last: its Quick verification), then rotate that location by its own policy. A destination that fails is
/// logged and reported on its own; the other destinations and the local rotation still run.
/// </summary>
internal sealed class DestinationStep(ILogger logger)
{
    /// <summary>The clock the destination's prune measures pack age by (tests run it as if hours later).</summary>
    internal Func<DateTime> UtcNow { get; init; } = () => DateTime.UtcNow;

    /// <param name="local">With keep_local_until_copied, this database's local backups: those the destination lacks and
    /// would keep are copied too (a destination that was down catches up), and the result says which are safe there.</param>
    public DestinationResult Run(JobDestination destination, BackupInfo backup, RetentionPolicy jobPolicy, Action<BackupProgress>? progress, CancellationToken ct,
        IReadOnlyList<BackupInfo>? local = null)
    {
        var result = new DestinationResult(StoreText.Redact(destination.Location));
        try
        {
            var options = new StoreOptions { Create = true };
            if (destination.Timeout is { } timeout) options = options with { Timeout = timeout };
            if (destination.Credential != null) options = destination.Credential.Resolve(destination.Location, options);
            var access = new StoreAccess(destination.Location, options);
            using var store = StoreRegistry.Open(destination.Location, options);
            var policy = destination.Retention ?? jobPolicy;
            var copier = new BackupCopier(logger) { DestinationAccess = access, Retention = policy };
            // A snapshot goes into the repository there (dedup kept off-site), or as a plain export where the destination says "plain".
            CopyResult Copy(BackupInfo b) =>
                !b.Manifest.IsSnapshot ? copier.Copy(b, store, progress, ct)
                : destination.Plain ? new SnapshotExporter(logger) { DestinationAccess = access }.Export(b, store, progress, ct)
                : new RepositoryCopier(logger) { DestinationAccess = access, Retention = policy }.Copy(b, store, progress, ct);
            // An export is another file of the same database image: it is matched by the image's SHA-256.
            bool byRaw = destination.Plain;
            var copy = Copy(backup);
            result = result with { Copy = copy.Copy };
            var catalog = new StoreCatalog(logger);
            List<BackupInfo> Mine() => catalog.List(store, access, ct).Where(b => b.Database == backup.Database).ToList();
            var mine = Mine();
            HashSet<string>? secured = null;
            if (local != null)
            {
                var (missing, unwanted) = Missing(local, mine, store.Location, policy, byRaw);
                secured = [.. unwanted];
                int caughtUp = 0;
                foreach (var b in missing)
                {
                    // One that cannot be copied stays local (it is not secured) and is reported; the others still go.
                    // Only what was sent counts: one found already there (listed after all) was not copied now.
                    try { if (Copy(b).Status == CopyStatus.Copied) caughtUp++; }
                    catch (SqliteBackupException e)
                    {
                        logger.LogError(BackupEvents.CopyFailed, "Copy of {Database} backup {Id} to {Destination} failed ({ErrorId}): {Error}",
                            b.Database, b.Id, result.Location, e.ErrorId, e.Message);
                    }
                }
                if (caughtUp > 0)
                {
                    logger.LogInformation(BackupEvents.BackupCopied, "Copied {Count} older backup(s) of {Database} that {Destination} had no copy of yet",
                        caughtUp, backup.Database, result.Location);
                    mine = Mine();
                }
                result = result with { CaughtUp = caughtUp };
            }
            var now = DateTimeOffset.UtcNow;
            var decisions = BackupRotation.Plan(mine, policy, TimeZoneInfo.Local, now: now);
            foreach (var d in decisions.Where(d => d.FutureDated)) BackupRotation.WarnFutureDated(logger, d, now);
            var rotation = new BackupRotation(logger) { UtcNow = UtcNow };
            var locked = new List<BackupInfo>();
            foreach (var d in decisions)
            {
                try { rotation.Apply(d, allowInsecureDirectory: true); }
                catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectLocked")
                {
                    // The lock outlives what retention wanted (it covers the longest rule): kept, said, and tried again next run.
                    locked.Add(d.Backup);
                    logger.LogWarning(BackupEvents.RotationLocked, "Rotation kept backup {Id} of {Database} in {Destination}: {Error}",
                        d.Backup.Id, d.Backup.Database, result.Location, e.Message);
                }
            }
            var pruned = Prune(rotation, decisions, result.Location, ct);
            result = result with { PacksPruned = pruned?.PacksDeleted ?? 0, BytesFreed = pruned?.BytesFreed ?? 0, PacksLocked = pruned?.PacksLocked ?? 0 };
            if (secured != null)
            {
                // Listed before this rotation: a copy the destination's own retention removed just now was secured there first.
                var held = Held(mine, byRaw);
                secured.UnionWith(local!.Where(b => held.Contains(Key(b, byRaw))).Select(b => b.Id));
                result = result with { Secured = secured };
            }
            // A decision is Removed once its delete went through: a locked backup counts as kept.
            var kept = decisions.Where(d => !d.Removed).Select(d => d.Backup).ToList();
            return result with { Removed = decisions.Count - kept.Count, Kept = kept.Count, Locked = locked.Count, Copies = kept };
        }
        // Once the job's time limit (or Ctrl+C) has stopped the copy, the job tells why: a store error then is a symptom.
        catch (Exception e) when (e is not OperationCanceledException && !ct.IsCancellationRequested)
        {
            var error = e as SqliteBackupException ?? BackupErrors.JobStepFailed(backup.Database, result.Copy != null ? $"rotate {result.Location}" : $"copy to {result.Location}", e);
            // Once the copy landed (checked, manifest written), what failed is the listing or rotation there: said so, not "the copy failed".
            if (result.Copy != null)
                logger.LogError(BackupEvents.RotationFailed, "{Database} backup {Id} was copied to {Destination}, but listing and rotating {Destination} failed ({ErrorId}): {Error}",
                    backup.Database, backup.Id, result.Location, result.Location, error.ErrorId, error.Message);
            else
                logger.LogError(BackupEvents.CopyFailed, "Copy of {Database} backup {Id} to {Destination} failed ({ErrorId}): {Error}",
                    backup.Database, backup.Id, result.Location, error.ErrorId, error.Message);
            return result with { ErrorId = error.ErrorId, Error = error.Message, Secured = null };
        }
    }

    /// <summary>
    /// A repository there loses the packs only removed snapshots used, as the local rotation frees them: a backup holding
    /// its lock defers the prune (warned; the next run frees the space), a pack under Object Lock is kept until its date.
    /// A prune that fails is logged and leaves the copy and the rotation as they are: the copy is there and verified.
    /// </summary>
    PruneResult? Prune(BackupRotation rotation, IReadOnlyList<Retention.RotationDecision> decisions, string location, CancellationToken ct)
    {
        if (!decisions.Any(d => d.Backup.Format == BackupFormat.Snapshot)) return null;
        try { return rotation.PruneRepositories(decisions, whatIf: false, allowInsecureDirectory: true, ct).SingleOrDefault(); }
        catch (SqliteBackupException e)
        {
            logger.LogError(BackupEvents.RotationFailed, "Pruning the repository in {Destination} failed ({ErrorId}): {Error}", location, e.ErrorId, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Of the local backups, those without a verified copy at the destination, split by what the destination's own
    /// retention would do with a copy: keep it (to be copied) or not (nothing to wait for). A backup that failed
    /// verification is never sent.
    /// </summary>
    /// <summary>Copies that count: present (the listing checked the data object's size) with a passing Quick record.</summary>
    static HashSet<(string, string)> Held(IEnumerable<BackupInfo> there, bool byRaw) => there.Where(c => c.Verified == true).Select(c => Key(c, byRaw)).ToHashSet();

    /// <summary>A copy's identity: a snapshot copied as a snapshot keeps its StoredSha256 (its blocksSha256), an export only its image's.</summary>
    static (string, string) Key(BackupInfo b, bool byRaw) => (b.Id, byRaw ? b.Manifest.RawSha256 : b.Manifest.StoredSha256);

    internal static (List<BackupInfo> Missing, List<string> Unwanted) Missing(IReadOnlyList<BackupInfo> local, IReadOnlyList<BackupInfo> there, string location, RetentionPolicy policy,
        bool byRaw = false)
    {
        var held = Held(there, byRaw);
        var lacking = local.Where(b => !b.IsOrphan && b.Verified != false && !held.Contains(Key(b, byRaw))).ToList();
        if (lacking.Count == 0) return ([], []);
        // Planned as if the copies were there, beside the real ones, by the destination's own rules.
        var asIfThere = lacking.Select(b => new BackupInfo(b.Manifest, location, b.Manifest.File + Format.BackupManifest.Suffix)).ToList();
        var byId = lacking.ToDictionary(b => b.Id, StringComparer.Ordinal);
        var plan = BackupRotation.Plan(there.Where(c => !byId.ContainsKey(c.Id)).Concat(asIfThere), policy, TimeZoneInfo.Local);
        var missing = new List<BackupInfo>();
        var unwanted = new List<string>();
        foreach (var d in plan.Where(d => byId.ContainsKey(d.Backup.Id) && asIfThere.Contains(d.Backup)))
        {
            if (d.Action == RetentionAction.Keep) missing.Add(byId[d.Backup.Id]);
            else unwanted.Add(d.Backup.Id);
        }
        missing.Sort((a, b) => a.CreatedUtc.CompareTo(b.CreatedUtc));
        return (missing, unwanted);
    }
}
