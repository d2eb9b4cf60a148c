namespace SqliteBackup.Core.Retention;

/// <summary>What the last verification said about a backup, as far as rotation cares.</summary>
internal enum VerificationState
{
    /// <summary>Never verified: treated like any restic snapshot.</summary>
    Unknown,
    /// <summary>Verified good: the newest such backup is never removed.</summary>
    Passed,
    /// <summary>Verified bad: never counts towards a rule and is removed unless protected.</summary>
    Failed,
    /// <summary>
    /// Every check so far could not run (no space, no permission...): nothing is proven either way, so it is treated
    /// exactly like <see cref="Unknown"/>. Only <see cref="Failed"/> may cost a backup its place.
    /// </summary>
    Inconclusive,
}
