namespace SqliteBackup.Core.Repository;

/// <summary>
/// The manifest property that makes a backup a snapshot (<see cref="Format.BackupManifest.Repository"/>): where its
/// blocks live. Null for plain backups.
/// </summary>
public sealed class SnapshotRepository
{
    public int BlockSize { get; set; }
    public long BlockCount { get; set; }
    /// <summary>Every pack any of its blocks lives in, with its size: Quick verification compares them with a listing.</summary>
    public List<PackRef> Packs { get; set; } = [];
    /// <summary>Base64 of the zstd of the block list (<see cref="BlockList"/>).</summary>
    public string Blocks { get; set; } = "";
    /// <summary>Hex SHA-256 of the uncompressed block list.</summary>
    public string BlocksSha256 { get; set; } = "";
    /// <summary>The packs this backup wrote (the rest it shares with earlier snapshots).</summary>
    public List<string> AddedPacks { get; set; } = [];
    /// <summary>Bytes of the packs this backup wrote: what it cost the repository.</summary>
    public long AddedSize { get; set; }
    /// <summary>The id of the snapshot whose blocks were compared with, or null (the first, or none usable).</summary>
    public string? Parent { get; set; }
}

public sealed record PackRef(string Name, long Size);
