using System.Text.RegularExpressions;

namespace SqliteBackup.Core.Repository;

/// <summary>The flat object names of a repository (see docs: incremental repository); every one passes StoreNames.Check.</summary>
public static partial class RepositoryNames
{
    public const string Config = "sqlitebackup-repository.json";
    public const string PackPrefix = "pack-";
    public const string PackSuffix = ".pack";
    public const string IndexSuffix = ".index";
    /// <summary>A snapshot's File ends so; no object of that name exists, only its manifest (File + ".manifest.json").</summary>
    public const string SnapshotSuffix = ".snapshot";

    public static string Pack(string sha256Hex) => PackPrefix + sha256Hex + PackSuffix;

    /// <summary>The .index beside a pack called <paramref name="packName"/>.</summary>
    public static string IndexOf(string packName) => packName[..^PackSuffix.Length] + IndexSuffix;

    [GeneratedRegex("^pack-[0-9a-f]{64}\\.(pack|index)$", RegexOptions.CultureInvariant)]
    private static partial Regex PackOrIndex();

    public static bool IsPack(string name) => PackOrIndex().IsMatch(name) && name.EndsWith(PackSuffix, StringComparison.Ordinal);
    public static bool IsIndex(string name) => PackOrIndex().IsMatch(name) && name.EndsWith(IndexSuffix, StringComparison.Ordinal);

    /// <summary>The SHA-256 a pack's name promises for its bytes.</summary>
    public static string HashOfPack(string packName) => packName[PackPrefix.Length..^PackSuffix.Length];

    public static bool IsSnapshotManifest(string name) => name.EndsWith(SnapshotSuffix + Format.BackupManifest.Suffix, StringComparison.Ordinal);
}
