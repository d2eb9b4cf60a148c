using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core;

/// <summary>
/// Rotation = the pure retention planner applied to catalogued backups, per backup directory and database,
/// plus the deletions. Manual backups (and PreRestore/PreMigration unless the caller opts them in) are
/// protected: never removed and never counted, like restic's keep-tag.
/// </summary>
public sealed class BackupRotation(ILogger? logger = null)
{
    public static readonly IReadOnlySet<BackupType> ProtectedByDefault = new HashSet<BackupType> { BackupType.Manual, BackupType.PreRestore, BackupType.PreMigration };

    readonly ILogger _log = logger ?? NullLogger.Instance;

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
            bool isProtected = b.Type == BackupType.Manual || (ProtectedByDefault.Contains(b.Type) && rotatedTypes?.Contains(b.Type) != true);
            candidates.Add(new RetentionCandidate(b.Id, new DateTimeOffset(b.CreatedUtc), b.Tags, isProtected,
                isProtected ? b.Type.ToString().ToLowerInvariant() : null,
                StateOf(b)));
        }
        var groups = RetentionPlanner.PlanGroups(candidates, c => byId[c.Id].Group, policy, zone, StringComparer.Ordinal, now);
        var decisions = new List<RotationDecision>(candidates.Count);
        foreach (var g in groups)
        foreach (var d in g.Decisions)
        {
            var b = byId[d.Candidate.Id].Backup;
            var reasons = d.Action == RetentionAction.Remove && b.Verified == false ? ["verification failed"] : d.Reasons;
            decisions.Add(new RotationDecision(b, d.Action, reasons) { FutureDated = d.FutureDated });
        }
        return decisions;
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

    /// <summary>Removes one backup the plan marked for removal (manifest first, see <see cref="BackupCatalog.Remove"/>).</summary>
    public void Apply(RotationDecision decision, bool allowInsecureDirectory = false)
    {
        if (decision.Action != RetentionAction.Remove) return;
        new BackupCatalog(_log) { AllowInsecureDirectory = allowInsecureDirectory }.Remove(decision.Backup, "rotation", BackupEvents.RotationRemoved);
        decision.Removed = true;
    }
}
