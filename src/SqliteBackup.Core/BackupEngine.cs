using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SqliteBackup.Core;

/// <summary>
/// Takes backups. The order of work is what makes a backup trustworthy: snapshot into a private temporary
/// file, compress and hash in one pass into a second temporary, publish it by rename, verify what was
/// published, and only then write the manifest, the one thing that makes the backup exist.
/// </summary>
public sealed class BackupEngine(ILogger? logger = null)
{
    readonly ILogger _log = logger ?? NullLogger.Instance;

    public BackupInfo Create(BackupRequest request, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        string source = Path.GetFullPath(request.DatabasePath);
        if (!File.Exists(source)) throw BackupErrors.DatabaseNotFound(source);
        if (!SqliteFiles.HasSqliteHeader(source)) throw BackupErrors.NotASqliteDatabase(source);

        string destDir = request.ResolveDestination();
        try { PrivateFiles.EnsureDirectory(destDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.ForWriteFailure(destDir, e); }
        BackupCatalog.CleanStale(destDir, _log);

        var createdUtc = DateTime.UtcNow;
        string id = BackupNaming.NewId();
        string database = BackupNaming.DatabaseName(source);
        string finalPath = Path.Combine(destDir, BackupNaming.FileName(database, createdUtc, request.Type, id, request.Compression));
        string rawTemp = AtomicFile.TempPathBeside(finalPath);
        string? storedTemp = null;
        bool published = false;
        _log.LogInformation("Backing up {Source} to {Destination}", source, finalPath);
        try
        {
            try { using (PrivateFiles.CreateNew(rawTemp)) { } }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.ForWriteFailure(destDir, e); }

            var manifest = Snapshot(source, rawTemp, request, progress, ct);
            manifest.Id = id;
            manifest.File = Path.GetFileName(finalPath);
            manifest.Database = database;
            manifest.SourcePath = source;
            manifest.CreatedUtc = createdUtc;
            manifest.Type = request.Type;
            manifest.Compression = request.Compression;
            manifest.Tags = request.Tags.Distinct(StringComparer.Ordinal).ToList();
            manifest.Tool = $"SqliteBackup {typeof(BackupEngine).Assembly.GetName().Version?.ToString(3)}";

            storedTemp = request.Compression == CompressionKind.None ? rawTemp : AtomicFile.TempPathBeside(finalPath);
            Store(rawTemp, storedTemp, request, manifest, progress, ct);
            if (storedTemp != rawTemp) AtomicFile.TryDelete(rawTemp);

            AtomicFile.Publish(storedTemp, finalPath);
            published = true;
            var info = new BackupInfo(manifest, BackupManifest.PathFor(finalPath));

            if (request.Verify != VerificationLevel.None)
            {
                var result = new BackupVerifier(_log).Verify(info, request.Verify, null, progress, ct, record: false);
                if (!result.Passed) throw BackupErrors.VerificationFailed(finalPath, result.Message);
                manifest.Verifications.Add(result.ToRecord());
            }
            manifest.DurationMs = clock.ElapsedMilliseconds;
            AtomicFile.WriteAllBytes(info.ManifestPath, manifest.ToJson(), overwrite: false);
            _log.LogInformation("Backup {Id} of {Database} written: {StoredSize} bytes stored, {RawSize} raw, in {DurationMs} ms",
                id, database, manifest.StoredSize, manifest.RawSize, manifest.DurationMs);
            progress?.Invoke(new BackupProgress("Backing up " + database, "Done", 100, Completed: true));
            return info;
        }
        catch (Exception e)
        {
            AtomicFile.TryDelete(rawTemp);
            AtomicFile.TryDelete(storedTemp);
            if (published) AtomicFile.TryDelete(finalPath);
            foreach (var side in new[] { "-journal", "-wal", "-shm" }) AtomicFile.TryDelete(rawTemp + side);
            if (e is OperationCanceledException) throw;
            var mapped = Map(e, source, destDir);
            _log.LogError(mapped, "Backup of {Source} failed: {Message}", source, mapped.Message);
            throw mapped;
        }
    }

    static SqliteBackupException Map(Exception e, string source, string destDir) => e switch
    {
        SqliteBackupException sbe => sbe,
        SqliteException se when SqliteFiles.IsBusy(se) => BackupErrors.DatabaseLocked(source, TimeSpan.Zero, se),
        SqliteException se when SqliteFiles.IsCorrupt(se) => BackupErrors.DatabaseCorrupt(source, se.Message, se),
        _ when BackupErrors.IsDiskFull(e) => BackupErrors.DiskFull(destDir, e),
        SqliteException se when se.SqliteErrorCode is 14 or 8 or 10 => BackupErrors.DestinationNotWritable(destDir, se), // CANTOPEN, READONLY, IOERR
        IOException or UnauthorizedAccessException => BackupErrors.DestinationNotWritable(destDir, e),
        _ => new SqliteBackupException("BackupFailed", BackupErrorCategory.InvalidOperation,
            $"The backup of '{source}' failed: {e.Message}", "See the inner exception; no backup file was left behind.", source, e),
    };

    BackupManifest Snapshot(string source, string rawTemp, BackupRequest request, Action<BackupProgress>? progress, CancellationToken ct)
    {
        string activity = "Backing up " + Path.GetFileName(source);
        using var src = OpenSource(source, request.BusyTimeout);
        using var dest = SqliteFiles.Open(rawTemp, SqliteOpenMode.ReadWrite);
        // The temporary copy needs no crash safety of its own: a crash leaves a stale temporary, never a backup.
        SqliteFiles.Exec(dest, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
        int lastPercent = -1;
        var result = new SnapshotCopier(_log, request.PagesPerStep).Copy(src, dest, source, request.BusyTimeout, (done, total) =>
        {
            int percent = total == 0 ? 100 : (int)(done * 100 / total);
            if (percent == lastPercent) return;
            lastPercent = percent;
            progress?.Invoke(new BackupProgress(activity, $"Copying pages: {done:N0} of {total:N0}", percent));
        }, ct);
        if (result.Restarts > 0) _log.LogInformation("Concurrent writers restarted the copy {Restarts} time(s)", result.Restarts);

        try
        {
            return new BackupManifest
            {
                PageSize = Convert.ToInt32(SqliteFiles.Scalar(dest, "PRAGMA page_size")),
                PageCount = Convert.ToInt64(SqliteFiles.Scalar(dest, "PRAGMA page_count")),
                UserVersion = Convert.ToInt64(SqliteFiles.Scalar(dest, "PRAGMA user_version")),
                SqliteVersion = Convert.ToString(SqliteFiles.Scalar(dest, "SELECT sqlite_version()"))!,
                JournalMode = result.JournalMode,
                TableRowCounts = SqliteFiles.RowCounts(dest),
            };
        }
        catch (SqliteException e) when (SqliteFiles.IsCorrupt(e))
        {
            throw BackupErrors.DatabaseCorrupt(source, e.Message, e);
        }
    }

    /// <summary>
    /// Read-only, so closing our connection can never checkpoint or otherwise rewrite the source.
    /// </summary>
    static SqliteConnection OpenSource(string source, TimeSpan busyTimeout)
    {
        try { return SqliteFiles.Open(source, SqliteOpenMode.ReadOnly, busyTimeout); }
        catch (SqliteException e) when (SqliteFiles.IsCorrupt(e)) { throw BackupErrors.NotASqliteDatabase(source); }
    }

    static void Store(string rawTemp, string storedTemp, BackupRequest request, BackupManifest manifest, Action<BackupProgress>? progress, CancellationToken ct)
    {
        const int Buffer = 1 << 20;
        using var input = new FileStream(rawTemp, FileMode.Open, FileAccess.Read, FileShare.Read, Buffer, FileOptions.SequentialScan);
        long total = input.Length;
        using var rawHash = new HashingStream(input, leaveOpen: true);
        if (storedTemp == rawTemp)
        {
            rawHash.CopyTo(Stream.Null, Buffer);
            manifest.RawSha256 = manifest.StoredSha256 = rawHash.HashHex();
            manifest.RawSize = manifest.StoredSize = total;
            return;
        }
        string activity = "Compressing " + manifest.Database;
        using (var output = PrivateFiles.CreateNew(storedTemp, Buffer))
        {
            using var storedHash = new HashingStream(output, leaveOpen: true);
            using (var compressor = Codec.Compress(request.Compression, storedHash, request.ZstdLevel))
            {
                var buffer = new byte[Buffer];
                int n, lastPercent = -1;
                while ((n = rawHash.Read(buffer)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    compressor.Write(buffer, 0, n);
                    int percent = total == 0 ? 100 : (int)(rawHash.BytesRead * 100 / total);
                    if (percent != lastPercent)
                    {
                        lastPercent = percent;
                        progress?.Invoke(new BackupProgress(activity, $"{rawHash.BytesRead / 1048576:N0} of {total / 1048576:N0} MiB", percent));
                    }
                }
            }
            storedHash.Flush();
            output.Flush(flushToDisk: true);
            manifest.StoredSha256 = storedHash.HashHex();
            manifest.StoredSize = storedHash.BytesWritten;
        }
        manifest.RawSha256 = rawHash.HashHex();
        manifest.RawSize = rawHash.BytesRead;
    }
}
