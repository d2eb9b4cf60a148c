using SqliteBackup.Core.Retention;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// keep_local_until_copied: local rotation removes a backup only once every destination has a verified copy of it
/// (or would not keep one by its own retention). Until then it is kept, and says why, as data ("awaiting-copy").
/// </summary>
internal static class OffsiteHold
{
    public const string KeptAs = "awaiting-copy";

    public static IReadOnlyList<RotationDecision> Apply(IReadOnlyList<RotationDecision> decisions, IReadOnlyList<DestinationResult> destinations) =>
        decisions.Select(d =>
        {
            // A backup proven bad is no off-site copy's stand-in: it goes as rotation decided.
            if (d.Action != RetentionAction.Remove || d.Backup.Verified == false) return d;
            var waiting = destinations.Where(r => r.Secured?.Contains(d.Backup.Id) != true).Select(r => r.Location).ToList();
            if (waiting.Count == 0) return d;
            return new RotationDecision(d.Backup, RetentionAction.Keep,
                [$"awaiting off-site copy at {string.Join(", ", waiting)} (rotation would remove it: {string.Join(", ", d.Reasons)})"], [KeptAs]) { FutureDated = d.FutureDated };
        }).ToList();
}
