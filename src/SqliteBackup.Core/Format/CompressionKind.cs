namespace SqliteBackup.Core.Format;

/// <summary>How a backup file is stored. Each is readable by a standard tool (zstd -d, gunzip) without this module.</summary>
public enum CompressionKind
{
    Zstd,
    Gzip,
    None,
}
