namespace SqliteBackup.Core.Retention;

/// <summary>
/// What rotation does with one candidate. <paramref name="Reasons"/> lists every rule that keeps it, in restic's order
/// and wording ("last snapshot", "daily snapshot", "oldest monthly snapshot", "has tags [a, b]", "within 7d",
/// "daily within 1m", ...) followed by ours (the protected reason, "newest verified"). A removed candidate has none:
/// it is removed exactly because no rule keeps it.
/// </summary>
internal sealed record RetentionDecision(RetentionCandidate Candidate, RetentionAction Action, IReadOnlyList<KeepReason> Keeps)
{
    public IReadOnlyList<string> Reasons => Keeps.Count == 0 ? [] : Keeps.Select(k => k.Text).ToArray();

    /// <summary>Dated beyond the planner's <c>now</c> by more than <see cref="Retention.FutureDated.Tolerance"/>: took no part in the plan.</summary>
    public bool FutureDated { get; init; }
}
