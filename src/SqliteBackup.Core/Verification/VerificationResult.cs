using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
namespace SqliteBackup.Core.Verification;

/// <summary>The outcome of one named check: what a user reads to see why a backup is or is not sound.</summary>
/// <param name="Note">What the verification record must say besides "passed": a passing check that proved less than its name suggests.</param>
public sealed record CheckResult(string Name, VerificationOutcome Outcome, TimeSpan Duration, string Message, string? Note = null)
{
    public bool Passed => Outcome == VerificationOutcome.Passed;
}

/// <summary>One verification of one backup.</summary>
/// <param name="error">For an inconclusive result: the error naming why the check could not run (DiskFull, PermissionDenied...).</param>
/// <param name="cause">For an inconclusive result: the cause, as data.</param>
public sealed class VerificationResult(BackupInfo backup, VerificationLevel level, DateTime timeUtc, IReadOnlyList<CheckResult> checks, TimeSpan duration,
    SqliteBackupException? error = null, InconclusiveCause? cause = null)
{
    public BackupInfo Backup { get; } = backup;

    /// <summary>The same result about another copy of the backup (a remote one checked through a fetched local copy).</summary>
    public VerificationResult For(BackupInfo other) => new(other, Level, TimeUtc, Checks, Duration, Error, Cause);
    public string Database => Backup.Database;
    public string Path => Backup.Path;
    public VerificationLevel Level { get; } = level;
    public DateTime TimeUtc { get; } = timeUtc;
    public IReadOnlyList<CheckResult> Checks { get; } = checks;
    public TimeSpan Duration { get; } = duration;
    /// <summary>Checks stop at the first that does not pass, so at most one decides: Failed needs evidence, Inconclusive proves nothing.</summary>
    public VerificationOutcome Outcome =>
        Checks.Count == 0 ? VerificationOutcome.Inconclusive
        : Checks.Any(c => c.Outcome == VerificationOutcome.Inconclusive) ? VerificationOutcome.Inconclusive
        : Checks.Any(c => c.Outcome == VerificationOutcome.Failed) ? VerificationOutcome.Failed
        : VerificationOutcome.Passed;
    public bool Passed => Outcome == VerificationOutcome.Passed;
    public bool Inconclusive => Outcome == VerificationOutcome.Inconclusive;
    /// <summary>Why the check could not run; null unless <see cref="Inconclusive"/>.</summary>
    public SqliteBackupException? Error { get; } = error;
    public InconclusiveCause? Cause { get; } = cause;

    public string Message => Checks.FirstOrDefault(c => !c.Passed) is { } bad
        ? bad.Outcome == VerificationOutcome.Inconclusive ? $"{bad.Name} could not run: {bad.Message}" : $"{bad.Name}: {bad.Message}"
        : $"{Checks.Count} checks passed" + (Checks.FirstOrDefault(c => c.Name == "Authentic" && c.Message.StartsWith(NotChecked, StringComparison.Ordinal)) is { } note ? $" ({note.Message})" : "")
            + string.Concat(Checks.Where(c => c.Note != null).Select(c => $" ({c.Name}: {c.Note})"));

    /// <summary>How a Quick check of an encrypted backup says that it did not check authenticity.</summary>
    internal const string NotChecked = "not checked";

    public VerificationRecord ToRecord() => new()
    {
        TimeUtc = TimeUtc,
        Level = Level,
        Passed = Inconclusive ? null : Passed,
        Outcome = Outcome,
        Cause = Cause,
        DurationMs = (long)Duration.TotalMilliseconds,
        Message = Message,
    };
}
