using SqliteBackup.Core.Format;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Verification;
namespace SqliteBackup.Core.Backups;

/// <summary>What to back up and how. Defaults are the ones an admin gets from `New-SqliteBackup -Path app.db`.</summary>
public sealed record BackupRequest(string DatabasePath)
{
    /// <summary>Backup directory; null means 'backups' beside the database.</summary>
    public string? Destination { get; init; }
    public BackupType Type { get; init; } = BackupType.Manual;
    public CompressionKind Compression { get; init; } = CompressionKind.Zstd;
    public VerificationLevel Verify { get; init; } = VerificationLevel.Standard;
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Write to a destination that users other than its owner and root can write (see DirectoryTrust).</summary>
    public bool AllowInsecureDirectory { get; init; }
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Where verification decompresses; null: a hidden folder beside the backup (see <see cref="ScratchDirectory"/>).</summary>
    public string? ScratchPath { get; init; }
    /// <summary>Level 1: on database pages it compresses about as well as 3 and twice as fast (measured, docs/benchmarks.md).</summary>
    public int ZstdLevel { get; init; } = 1;
    /// <summary>Into the incremental repository at the destination (see Repository/): only new blocks are stored.</summary>
    public bool Incremental { get; init; }
    /// <summary>The repository's block size when this backup creates it; null: the default, or the existing repository's.</summary>
    public int? BlockSize { get; init; }
    /// <summary>Compress, then encrypt in the age format, and sign the manifest (see <see cref="Encryption.BackupEncryption"/>); null: not encrypted.</summary>
    public Encryption.BackupEncryption? Encryption { get; init; }
    /// <summary>Tests turn the file-read snapshot off to exercise the backup-API path on a checkpointed WAL database.</summary>
    internal bool AllowFileRead { get; init; } = true;
    /// <summary>Test hook: runs once the file-read snapshot is pinned, before the file is read.</summary>
    internal Action? OnFileReadPinned { get; init; }
    /// <summary>Pages copied per backup step; small values let tests interleave a writer with the copy.</summary>
    internal int PagesPerStep { get; init; } = SnapshotCopier.DefaultPagesPerStep;

    public string ResolveDestination() =>
        Path.GetFullPath(Destination ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(DatabasePath))!, "backups"));
}
