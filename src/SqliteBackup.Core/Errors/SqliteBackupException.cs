namespace SqliteBackup.Core.Errors;

/// <summary>
/// A failure the user can act on. <see cref="ErrorId"/> is stable (scripts match on it);
/// <see cref="RecommendedAction"/> says what to do next.
/// </summary>
public sealed class SqliteBackupException : Exception
{
    internal SqliteBackupException(string errorId, BackupErrorCategory category, string message, string recommendedAction, string? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        RecommendedAction = recommendedAction;
        Target = target;
    }

    public string ErrorId { get; }
    public BackupErrorCategory Category { get; }
    public string RecommendedAction { get; }
    public string? Target { get; }
}
