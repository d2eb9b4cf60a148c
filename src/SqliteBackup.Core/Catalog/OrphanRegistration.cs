using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Trust;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Catalog;

/// <summary>
/// Gives an orphan (a backup-named file whose manifest is gone) its manifest back, but only after it has proven itself:
/// the manifest is built from what the file itself says (its name, its bytes, the database inside), the file then passes
/// a Standard or Full verification against that manifest, and only then is the manifest written, create-only, so a
/// manifest that appeared meanwhile is never overwritten. Quick cannot register: it only compares with a manifest.
/// </summary>
public sealed class OrphanRegistration(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public bool AllowInsecureDirectory { get; init; }

    /// <returns>The verification; when it passed, its Backup is the registered backup (IsOrphan false).</returns>
    public VerificationResult Register(BackupInfo orphan, VerificationLevel level, string? query = null,
        Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        string file = orphan.Path;
        if (level < VerificationLevel.Standard)
            throw BackupErrors.OrphanNotRegistered(file, "a Quick check compares the file with its manifest, and an orphan has none. Use -VerificationLevel Standard or Full.");
        // Re-derived from disk: the object may have come through a pipeline.
        using var store = new LocalDirectoryStore(orphan.Directory, new StoreOptions { AllowInsecureDirectory = AllowInsecureDirectory });
        var current = new StoreCatalog(_log).ListOrphans(store, null, ct)
            .FirstOrDefault(o => o.Path == file)
            ?? throw BackupErrors.OrphanNotRegistered(file, "it is not (or no longer) an orphan in that directory: a manifest exists, the file is gone, not ours, or younger than an hour.");

        var m = current.Manifest;
        m.Id = m.Id + Guid.NewGuid().ToString("N")[8..];
        m.SourcePath = "";
        m.Tool = $"SqliteBackup {typeof(OrphanRegistration).Assembly.GetName().Version?.ToString(3)} (registered orphan)";
        using (var scratch = ScratchDirectory.Create(null, orphan.Directory, _log))
        {
            string db = scratch.File("orphan.db");
            try
            {
                // One read: the stored bytes are hashed as they are decompressed.
                using (var input = store.OpenRead(m.File, ct))
                {
                    var pass = Unpacker.Run(input, m.Compression, db, null, ct);
                    if (pass.Failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(pass.Failure);
                    (m.StoredSha256, m.StoredSize, m.RawSha256, m.RawSize) = (pass.StoredSha256, pass.StoredSize, pass.RawSha256, pass.RawSize);
                }
                using var c = SqliteFiles.Open(db, SqliteOpenMode.ReadOnly);
                m.PageSize = Convert.ToInt32(SqliteFiles.Scalar(c, "PRAGMA page_size"));
                m.PageCount = Convert.ToInt64(SqliteFiles.Scalar(c, "PRAGMA page_count"));
                m.UserVersion = Convert.ToInt64(SqliteFiles.Scalar(c, "PRAGMA user_version"));
                m.JournalMode = Convert.ToString(SqliteFiles.Scalar(c, "PRAGMA journal_mode")) ?? "";
                m.SqliteVersion = Convert.ToString(SqliteFiles.Scalar(c, "SELECT sqlite_version()"))!;
                m.TableRowCounts = SqliteFiles.RowCounts(c);
            }
            catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException or SqliteException)
            {
                throw BackupErrors.OrphanNotRegistered(file, "it is not a readable backup: " + e.Message);
            }
        }
        var candidate = new BackupInfo(m, current.ManifestPath);
        var result = new BackupVerifier(_log).Verify(candidate, store, level, query, progress, ct, record: false);
        if (!result.Passed)
        {
            _log.LogWarning("Orphan {File} failed {Level} verification and was not registered: {Message}", file, level, result.Message);
            return result;
        }
        m.Verifications.Add(result.ToRecord());
        // Create-only: a manifest that appeared meanwhile is never replaced.
        using (var json = new MemoryStream(m.ToJson())) store.Put(m.File + BackupManifest.Suffix, json, createOnly: true, ct: ct);
        _log.LogInformation(Logging.BackupEvents.OrphanRegistered, "Registered orphan {Path} as backup {Id} of {Database} after a passing {Level} verification",
            file, m.Id, m.Database, level);
        return result;
    }
}
