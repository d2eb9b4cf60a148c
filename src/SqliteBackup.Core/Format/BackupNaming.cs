using System.Globalization;
using System.Text.RegularExpressions;
using System.Text;
using SqliteBackup.Core.Backups;

namespace SqliteBackup.Core.Format;

/// <summary>
/// Backup file names sort by time and say what they are: &lt;db&gt;_&lt;yyyyMMdd-HHmmss&gt;_&lt;type&gt;_&lt;id8&gt;.db[.zst|.gz].
/// The id suffix keeps two backups taken in the same second apart.
/// </summary>
public static class BackupNaming
{
    public static string DatabaseName(string databasePath) => Path.GetFileNameWithoutExtension(databasePath) is { Length: > 0 } n ? n : Path.GetFileName(databasePath);

    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <param name="encrypted">age-encrypted after compression: '.age' is appended, as the age tool names its files.</param>
    public static string FileName(string database, DateTime createdUtc, BackupType type, string id, CompressionKind compression, bool encrypted = false) =>
        $"{SafeName(database)}_{createdUtc:yyyyMMdd-HHmmss}_{type.ToString().ToLowerInvariant()}_{id[..8]}.db{Codec.Extension(compression)}{(encrypted ? AgeExtension : "")}";

    public const string AgeExtension = ".age";

    /// <summary>A snapshot's File: the plain form with .snapshot for .db[.zst]; only its manifest exists under that name + .manifest.json.</summary>
    public static string SnapshotFileName(string database, DateTime createdUtc, BackupType type, string id) =>
        $"{SafeName(database)}_{createdUtc:yyyyMMdd-HHmmss}_{type.ToString().ToLowerInvariant()}_{id[..8]}.snapshot";

    static readonly Regex SnapshotPattern = new(@"^(?<db>.+)_(?<time>\d{8}-\d{6})_(?<type>[a-z]+)_(?<id>[0-9a-f]{8})\.snapshot$", RegexOptions.CultureInvariant);

    /// <summary>What a snapshot's File says about it (database, time, type, id8); Compression is Zstd.</summary>
    public static bool TryParseSnapshot(string name, out BackupFileName parsed) => TryParse(SnapshotPattern, name, CompressionKind.Zstd, out parsed);

    static readonly Regex Pattern = new(@"^(?<db>.+)_(?<time>\d{8}-\d{6})_(?<type>[a-z]+)_(?<id>[0-9a-f]{8})\.db(?<ext>\.zst|\.gz)?(?<age>\.age)?$", RegexOptions.CultureInvariant);

    /// <summary>Whether a file name is one <see cref="FileName"/> could have produced: the only names we ever delete or trust.</summary>
    public static bool IsBackupFileName(string name) => TryParse(name, out _);

    /// <summary>What a backup file's name says about it (all an orphan without its manifest has).</summary>
    public static bool TryParse(string name, out BackupFileName parsed) => TryParse(Pattern, name, null, out parsed);

    static bool TryParse(Regex pattern, string name, CompressionKind? fixedCompression, out BackupFileName parsed)
    {
        parsed = default;
        var m = pattern.Match(name);
        if (!m.Success || name.Contains('/') || name.Contains('\\')) return false;
        if (!DateTime.TryParseExact(m.Groups["time"].Value, "yyyyMMdd-HHmmss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var created)) return false;
        var type = Enum.GetValues<BackupType>().Where(t => t.ToString().ToLowerInvariant() == m.Groups["type"].Value).ToList();
        if (type.Count != 1) return false;
        var compression = fixedCompression ?? m.Groups["ext"].Value switch { ".zst" => CompressionKind.Zstd, ".gz" => CompressionKind.Gzip, _ => CompressionKind.None };
        parsed = new BackupFileName(m.Groups["db"].Value, created, type[0], m.Groups["id"].Value, compression);
        return true;
    }

    /// <summary>Database names come from user files; keep only characters that are safe in a file name everywhere.</summary>
    static string SafeName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (char c in name) sb.Append(char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        return sb.Length == 0 ? "db" : sb.ToString();
    }
}

public readonly record struct BackupFileName(string Database, DateTime CreatedUtc, BackupType Type, string Id8, CompressionKind Compression);
