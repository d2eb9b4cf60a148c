using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// The proof that backups restore: restore one into a private temporary file through the same path a real restore
/// takes, run the full checks on the result, and delete it.
/// </summary>
public sealed class RestoreTester(ILogger logger)
{
    public RestoreTestResult Test(BackupInfo backup, CancellationToken ct = default, bool allowInsecureDirectory = false)
    {
        var clock = Stopwatch.StartNew();
        using var scratch = new ScratchDirectory("restoretest");
        string target = scratch.File(backup.Database + ".db");
        string message;
        bool passed;
        try
        {
            new Restorer(logger).Restore(backup, new RestoreRequest(target) { AllowInsecureDirectory = allowInsecureDirectory }, null, ct);
            using var c = SqliteFiles.Open(target, SqliteOpenMode.ReadOnly);
            var integrity = SqliteFiles.Column(c, "PRAGMA integrity_check");
            var fk = SqliteFiles.Column(c, "SELECT \"table\" FROM pragma_foreign_key_check");
            var (countsOk, countsMessage) = BackupVerifier.CompareRowCounts(backup.Manifest.TableRowCounts, SqliteFiles.RowCounts(c));
            passed = integrity is ["ok"] && fk.Count == 0 && countsOk;
            message = !(integrity is ["ok"]) ? "integrity_check: " + string.Join("; ", integrity.Take(3))
                : fk.Count > 0 ? $"{fk.Count} foreign key violation(s)"
                : countsMessage;
        }
        catch (SqliteBackupException e)
        {
            passed = false;
            message = e.Message;
        }
        var result = new RestoreTestResult(backup, passed, message, clock.Elapsed);
        if (passed)
            logger.LogInformation(BackupEvents.RestoreTested, "Restore test of backup {Id} of {Database} passed: {Path}, {DurationMs} ms ({Message})",
                backup.Id, backup.Database, backup.Path, (long)clock.Elapsed.TotalMilliseconds, message);
        else
            logger.LogError(BackupEvents.RestoreTestFailed, "Restore test of backup {Id} of {Database} FAILED: {Path}: {Error}",
                backup.Id, backup.Database, backup.Path, message);
        return result;
    }
}
