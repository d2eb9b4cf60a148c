using System.Text;

namespace SqliteBackup.Core;

/// <summary>
/// Backup file names sort by time and say what they are: &lt;db&gt;_&lt;yyyyMMdd-HHmmss&gt;_&lt;type&gt;_&lt;id8&gt;.db[.zst|.gz].
/// The id suffix keeps two backups taken in the same second apart.
/// </summary>
public static class BackupNaming
{
    public static string DatabaseName(string databasePath) => Path.GetFileNameWithoutExtension(databasePath) is { Length: > 0 } n ? n : Path.GetFileName(databasePath);

    public static string NewId() => Guid.NewGuid().ToString("N");

    public static string FileName(string database, DateTime createdUtc, BackupType type, string id, CompressionKind compression) =>
        $"{SafeName(database)}_{createdUtc:yyyyMMdd-HHmmss}_{type.ToString().ToLowerInvariant()}_{id[..8]}.db{Codec.Extension(compression)}";

    /// <summary>Database names come from user files; keep only characters that are safe in a file name everywhere.</summary>
    static string SafeName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (char c in name) sb.Append(char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        return sb.Length == 0 ? "db" : sb.ToString();
    }

    /// <summary>Whether a file name has the shape <see cref="FileName"/> gives (an uncompressed backup is a SQLite file too).</summary>
    public static bool IsBackupFileName(string fileName) =>
        System.Text.RegularExpressions.Regex.IsMatch(fileName, @"_\d{8}-\d{6}_[a-z]+_[0-9a-f]{8}\.db(\.[a-z0-9]+)?$");
}
