using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Verification;
namespace SqliteBackup.Core.Catalog;

/// <summary>One backup as found on disk: its manifest plus where it lives. This is what the cmdlets emit.</summary>
public sealed class BackupInfo
{
    public BackupInfo(BackupManifest manifest, string manifestPath) : this(manifest, manifestPath, isOrphan: false) { }

    internal BackupInfo(BackupManifest manifest, string manifestPath, bool isOrphan)
    {
        IsOrphan = isOrphan;
        Manifest = manifest;
        ManifestPath = System.IO.Path.GetFullPath(manifestPath);
        Directory = System.IO.Path.GetDirectoryName(ManifestPath)!;
        Path = System.IO.Path.Combine(Directory, manifest.File);
    }

    /// <summary>A backup in a remote store: its paths are the store's location (a URI without secrets) and the object names.</summary>
    internal BackupInfo(BackupManifest manifest, string remoteLocation, string manifestName, bool isOrphan = false)
    {
        IsOrphan = isOrphan;
        Manifest = manifest;
        IsRemote = true;
        Directory = remoteLocation.TrimEnd('/');
        ManifestPath = Directory + "/" + manifestName;
        Path = Directory + "/" + manifest.File;
    }

    /// <summary>A backup (or orphan) listed from the store at <paramref name="location"/>: a local directory's path or a remote URI.</summary>
    internal static BackupInfo At(string location, string manifestName, BackupManifest manifest, bool isOrphan = false) =>
        Storage.StoreRegistry.IsRemote(location)
            ? new BackupInfo(manifest, location, manifestName, isOrphan)
            : new BackupInfo(manifest, System.IO.Path.Combine(location, manifestName), isOrphan);

    /// <summary>
    /// How its store was reached (location with endpoint, credential), for whatever acts on this backup next. Internal,
    /// so PowerShell never shows or serialises it (Export-Clixml, ConvertTo-Json): a credential stays in this process.
    /// </summary>
    internal Storage.StoreAccess? Access { get; set; }

    /// <summary>Its store, reached as the listing reached it (a remote backup only). A method, so nothing serialises it.</summary>
    public Storage.IBackupStore OpenStore() => (Access ?? new Storage.StoreAccess(Directory)).Open();

    /// <summary>Lives in a remote store (s3://, azure://, sftp://): <see cref="Directory"/> is its location.</summary>
    public bool IsRemote { get; }

    public BackupManifest Manifest { get; }
    public string ManifestPath { get; }
    public string Path { get; }

    public string Id => Manifest.Id;
    public string Database => Manifest.Database;
    public DateTime CreatedUtc => DateTime.SpecifyKind(Manifest.CreatedUtc, DateTimeKind.Utc);
    /// <summary>Local time, for display and for comparisons typed at a prompt (Get-Date is local).</summary>
    public DateTime Created => CreatedUtc.ToLocalTime();
    public BackupType Type => Manifest.Type;
    /// <summary>
    /// Bytes on disk, so `Where Size -lt 1KB` means what it says; for a snapshot, the stored bytes of its blocks (shared
    /// blocks counted in full), comparable with a plain backup's.
    /// </summary>
    public long Size => Manifest.StoredSize;
    public long StoredSize => Manifest.StoredSize;
    public long RawSize => Manifest.RawSize;
    public CompressionKind Compression => Manifest.Compression;
    /// <summary>A plain backup file, or a snapshot in an incremental repository (whose Size is what its blocks weigh stored).</summary>
    public BackupFormat Format => Manifest.IsSnapshot ? BackupFormat.Snapshot : BackupFormat.Plain;
    public IReadOnlyList<string> Tags => Manifest.Tags;
    public string SourcePath => Manifest.SourcePath;
    public VerificationRecord? LastVerificationRecord => Manifest.Verifications.Count == 0 ? null : Manifest.Verifications[^1];
    /// <summary>
    /// Outcome of the latest verification that proved something; null when none did. A check that could not run
    /// (<see cref="VerificationOutcome.Inconclusive"/>) adds no evidence, so it neither clears an earlier failure nor an
    /// earlier pass.
    /// </summary>
    public bool? Verified => Manifest.Verifications.LastOrDefault(r => r.Result != VerificationOutcome.Inconclusive)?.Result switch
    {
        VerificationOutcome.Passed => true,
        VerificationOutcome.Failed => false,
        _ => null,
    };
    /// <summary>What the latest verification attempt came to, Inconclusive included; null when it was never verified.</summary>
    public VerificationOutcome? LastOutcome => LastVerificationRecord?.Result;
    public DateTime? LastVerification => LastVerificationRecord is { } r ? DateTime.SpecifyKind(r.TimeUtc, DateTimeKind.Utc).ToLocalTime() : null;
    public string Directory { get; }
    /// <summary>
    /// A backup-named file without a manifest (listed by Get-SqliteBackup -IncludeOrphans). Its manifest holds only what
    /// the file name says, and no checksums; Test-SqliteBackup at Standard or Full registers a local one when it passes,
    /// Remove-SqliteBackup removes a remote one.
    /// </summary>
    public bool IsOrphan { get; }

    public override string ToString() => Path;
}
