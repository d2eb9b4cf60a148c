namespace SqliteBackup.Core;

/// <summary>The outcome of one named check: what a user reads to see why a backup is or is not sound.</summary>
public sealed record CheckResult(string Name, bool Passed, TimeSpan Duration, string Message);

/// <summary>One verification of one backup.</summary>
public sealed class VerificationResult(BackupInfo backup, VerificationLevel level, DateTime timeUtc, IReadOnlyList<CheckResult> checks, TimeSpan duration)
{
    public BackupInfo Backup { get; } = backup;
    public string Database => Backup.Database;
    public string Path => Backup.Path;
    public VerificationLevel Level { get; } = level;
    public DateTime TimeUtc { get; } = timeUtc;
    public IReadOnlyList<CheckResult> Checks { get; } = checks;
    public TimeSpan Duration { get; } = duration;
    public bool Passed => Checks.Count > 0 && Checks.All(c => c.Passed);
    public string Message => Checks.FirstOrDefault(c => !c.Passed) is { } failed ? $"{failed.Name}: {failed.Message}" : $"{Checks.Count} checks passed";

    public VerificationRecord ToRecord() => new()
    {
        TimeUtc = TimeUtc,
        Level = Level,
        Passed = Passed,
        DurationMs = (long)Duration.TotalMilliseconds,
        Message = Message,
    };
}
