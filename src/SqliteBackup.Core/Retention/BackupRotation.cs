using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Retention;

/// <summary>
/// Rotation = the pure retention planner applied to catalogued backups, per backup directory and database,
/// plus the deletions. Manual backups (and PreRestore/PreMigration unless the caller opts them in) are
/// protected: never removed and never counted, like restic's keep-tag.
/// </summary>
public sealed class BackupRotation(ILogger? logger = null)
{
    public static readonly IReadOnlySet<BackupType> ProtectedByDefault = new HashSet<BackupType> { BackupType.Manual, BackupType.PreRestore, BackupType.PreMigration };

    readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>The clock a prune measures pack age by (tests: a run hours later, when a pack's age no longer guards it).</summary>
    internal Func<DateTime> UtcNow { get; init; } = () => DateTime.UtcNow;

    /// <param name="rotatedTypes">Types taken out of the default protection (never Manual).</param>
    /// <param name="now">The clock that decides which backups are dated in the future (see <see cref="FutureDated"/>);
    /// this machine's clock when null, so no caller can forget it.</param>
    public static IReadOnlyList<RotationDecision> Plan(IEnumerable<BackupInfo> backups, RetentionPolicy policy, TimeZoneInfo zone,
        IReadOnlyCollection<BackupType>? rotatedTypes = null, DateTimeOffset? now = null)
    {
        policy.Validate();
        now ??= DateTimeOffset.UtcNow;
        var byId = new Dictionary<string, (BackupInfo Backup, string Group)>(StringComparer.Ordinal);
        var candidates = new List<RetentionCandidate>();
        foreach (var b in backups)
        {
            if (!byId.TryAdd(b.Id, (b, b.Directory + "\0" + b.Database))) continue; // the same backup given twice is decided once
            candidates.Add(CandidateFor(b, rotatedTypes));
        }
        var groups = RetentionPlanner.PlanGroups(candidates, c => byId[c.Id].Group, policy, zone, StringComparer.Ordinal, now);
        var decisions = new List<RotationDecision>(candidates.Count);
        var notKept = NotKept(policy);
        foreach (var g in groups)
        foreach (var d in g.Decisions)
            decisions.Add(DecisionFor(byId[d.Candidate.Id].Backup, d, notKept));
        return decisions;
    }

    /// <summary>
    /// Plans one database's backups as if a new backup taken at <paramref name="newUtc"/> were already among them: what a
    /// job would remove after its backup, for -WhatIf. Returns decisions for the existing backups only.
    /// </summary>
    public static IReadOnlyList<RotationDecision> PlanWithNewBackup(IReadOnlyList<BackupInfo> backups, DateTime newUtc, BackupType newType,
        bool newVerified, RetentionPolicy policy, TimeZoneInfo zone)
    {
        policy.Validate();
        var byId = backups.DistinctBy(b => b.Id).ToDictionary(b => b.Id, StringComparer.Ordinal);
        const string NewId = "\0new backup"; // no manifest id can contain NUL
        bool newProtected = ProtectedByDefault.Contains(newType);
        var candidates = byId.Values.Select(b => CandidateFor(b, null))
            .Append(new RetentionCandidate(NewId, new DateTimeOffset(DateTime.SpecifyKind(newUtc, DateTimeKind.Utc)), [], newProtected,
                newProtected ? newType.ToString().ToLowerInvariant() : null, newVerified ? VerificationState.Passed : VerificationState.Unknown));
        var notKept = NotKept(policy);
        return RetentionPlanner.Plan(candidates, policy, zone)
            .Where(d => d.Candidate.Id != NewId)
            .Select(d => DecisionFor(byId[d.Candidate.Id], d, notKept))
            .ToList();
    }

    static RetentionCandidate CandidateFor(BackupInfo b, IReadOnlyCollection<BackupType>? rotatedTypes)
    {
        bool isProtected = b.Type == BackupType.Manual || (ProtectedByDefault.Contains(b.Type) && rotatedTypes?.Contains(b.Type) != true);
        return new RetentionCandidate(b.Id, new DateTimeOffset(b.CreatedUtc), b.Tags, isProtected,
            isProtected ? b.Type.ToString().ToLowerInvariant() : null, StateOf(b));
    }

    /// <summary>The reason a removed backup gets, built once per plan: 100,000 decisions must not format the policy each.</summary>
    static string[] NotKept(RetentionPolicy policy) => [$"not kept by any rule ({policy})"];

    static RotationDecision DecisionFor(BackupInfo b, RetentionDecision d, string[] notKept)
    {
        // The planner gives a removed backup no reason (no rule keeps it); people reading the table need one.
        IReadOnlyList<string> reasons = d.Action != RetentionAction.Remove ? d.Reasons
            : b.Verified == false ? ["verification failed"]
            : notKept;
        return new RotationDecision(b, d.Action, reasons, KeepReason.KeptAsOf(d.Keeps)) { FutureDated = d.FutureDated };
    }

    /// <summary>Only proof counts: the latest conclusive check decides, and checks that could not run change nothing.</summary>
    internal static VerificationState StateOf(BackupInfo b) => b.Verified switch
    {
        true => VerificationState.Passed,
        false => VerificationState.Failed,
        null => b.LastOutcome == VerificationOutcome.Inconclusive ? VerificationState.Inconclusive : VerificationState.Unknown,
    };
    /// <summary>
    /// Warns about a backup the plan found dated in the future (what rotation did about it and how to fix it), as a
    /// FutureDatedBackup event that carries the database, id and path like every other event of the backup log.
    /// </summary>
    public static void WarnFutureDated(ILogger log, RotationDecision d, DateTimeOffset now)
    {
        string text = FutureDated.Warning(d.Path, d.Database, new DateTimeOffset(d.Backup.CreatedUtc), now,
            d.Action == RetentionAction.Keep
                ? "Rotation kept it and planned the other backups as if it were absent, so nothing was removed on the strength of its date."
                : "It failed verification, so rotation removed it; its date decided nothing.");
        KeyValuePair<string, object?>[] values = [new("Database", d.Database), new("Id", d.Backup.Id), new("Path", d.Path)];
        log.Log(LogLevel.Warning, BackupEvents.FutureDatedBackup, values, null, (_, _) => text);
    }

    /// <summary>
    /// After the removals: one prune per location holding snapshots among <paramref name="backups"/> (a removed snapshot's
    /// manifest is gone, so the packs only it used are unreferenced; a prune deferred by a lock last time frees them now).
    /// With <paramref name="whatIf"/> nothing is deleted: the plan is made as if the snapshots in <paramref name="toRemove"/>
    /// were gone. A prune that finds a lock held is Deferred (the pruner warns that the next rotation frees the space); a
    /// snapshot removed stays removed either way.
    /// </summary>
    public IReadOnlyList<PruneResult> PruneRepositories(IEnumerable<BackupInfo> backups, bool whatIf, IEnumerable<BackupInfo>? toRemove = null,
        bool allowInsecureDirectory = false, CancellationToken ct = default)
    {
        var forget = (toRemove ?? []).Where(b => b.Format == BackupFormat.Snapshot).ToList();
        var results = new List<PruneResult>();
        foreach (var location in backups.Where(b => b.Format == BackupFormat.Snapshot).GroupBy(b => b.Directory, StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            var first = location.First();
            using var store = (first.Access ?? new StoreAccess(first.Directory, new StoreOptions { AllowInsecureDirectory = allowInsecureDirectory })).Open();
            var manifests = forget.Where(b => b.Directory == location.Key).Select(b => System.IO.Path.GetFileName(b.ManifestPath)).ToList();
            results.Add(RepositoryPruner.Prune(store, whatIf, _log, UtcNow(), whatIf ? manifests : null, ct));
        }
        return results;
    }

    /// <summary>The same after a rotation: every location of its decisions that holds snapshots; with <paramref name="whatIf"/>, as if the removals were done.</summary>
    public IReadOnlyList<PruneResult> PruneRepositories(IReadOnlyList<RotationDecision> decisions, bool whatIf, bool allowInsecureDirectory = false, CancellationToken ct = default) =>
        PruneRepositories(decisions.Select(d => d.Backup), whatIf, decisions.Where(d => d.Action == RetentionAction.Remove).Select(d => d.Backup), allowInsecureDirectory, ct);

    /// <summary>Removes one backup the plan marked for removal (manifest first, see <see cref="StoreCatalog.Remove(BackupInfo, string?, EventId?, CancellationToken, bool)"/>).</summary>
    public void Apply(RotationDecision decision, bool allowInsecureDirectory = false)
    {
        if (decision.Action != RetentionAction.Remove) return;
        new StoreCatalog(_log).Remove(decision.Backup, "rotation", BackupEvents.RotationRemoved, allowInsecureDirectory: allowInsecureDirectory);
        decision.Removed = true;
    }
}
