namespace SqliteBackup.Core.Retention;

/// <summary>
/// One backup as the retention planner sees it. <paramref name="Tags"/> are matched against
/// <see cref="RetentionPolicy.KeepTags"/>. A protected candidate (Manual, PreRestore and PreMigration backups) is always
/// kept, with <paramref name="ProtectedReason"/> (for example "manual") as its reason, and takes no part in the rules.
/// </summary>
internal sealed record RetentionCandidate(
    string Id,
    DateTimeOffset Time,
    IReadOnlyCollection<string> Tags,
    bool IsProtected = false,
    string? ProtectedReason = null,
    VerificationState Verification = VerificationState.Unknown);
