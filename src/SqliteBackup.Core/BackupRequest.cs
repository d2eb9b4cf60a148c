namespace SqliteBackup.Core;

/// <summary>What to back up and how. Defaults are the ones an admin gets from `New-SqliteBackup -Path app.db`.</summary>
public sealed record BackupRequest(string DatabasePath)
{
    /// <summary>Backup directory; null means 'backups' beside the database.</summary>
    public string? Destination { get; init; }
    public BackupType Type { get; init; } = BackupType.Manual;
    public CompressionKind Compression { get; init; } = CompressionKind.Zstd;
    public VerificationLevel Verify { get; init; } = VerificationLevel.Standard;
    public IReadOnlyList<string> Tags { get; init; } = [];
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public int ZstdLevel { get; init; } = 3;
    /// <summary>Pages copied per backup step; small values let tests interleave a writer with the copy.</summary>
    internal int PagesPerStep { get; init; } = SnapshotCopier.DefaultPagesPerStep;

    public string ResolveDestination() =>
        Path.GetFullPath(Destination ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(DatabasePath))!, "backups"));
}
