using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// The proof that backups restore: restore one into a private scratch folder through the same path a real restore
/// takes, run the full checks on the result, and delete it. Only evidence about the backup fails the test; a test that
/// could not run (no space, no permission) is inconclusive (<see cref="VerificationEvidence"/>).
/// </summary>
/// <param name="scratchPath">Where to restore; null: a hidden folder beside the backup (see <see cref="ScratchDirectory"/>).</param>
/// <param name="fetchParent">Where a remote backup is restored for the test (a private folder in it); null: the temporary directory.</param>
/// <param name="keys">What encrypted backups are opened and authenticated with (the job's configured keys).</param>
internal sealed class RestoreTester(ILogger logger, string? scratchPath = null, string? fetchParent = null, Encryption.BackupKeys? keys = null)
{
    public RestoreTestResult Test(BackupInfo backup, CancellationToken ct = default, bool allowInsecureDirectory = false)
    {
        var clock = Stopwatch.StartNew();
        VerificationOutcome outcome;
        string message;
        ScratchDirectory? scratch = null;
        try
        {
            // An off-site copy is restored from its store, read once as a stream, as Restore-SqliteBackup does: that
            // read is part of what is tested. Its scratch folder is private, in the fetch folder (the temporary directory).
            scratch = ScratchDirectory.Create(scratchPath, backup.IsRemote ? fetchParent ?? Path.GetTempPath() : backup.Directory, logger);
            string target = scratch.File(backup.Database + ".db");
            var request = new RestoreRequest(target) { AllowInsecureDirectory = allowInsecureDirectory, Keys = keys };
            new Restorer(logger).Restore(backup, request, null, ct);
            using var c = SqliteFiles.Open(target, SqliteOpenMode.ReadOnly);
            var integrity = SqliteFiles.Column(c, "PRAGMA integrity_check");
            var fk = SqliteFiles.Column(c, "SELECT \"table\" FROM pragma_foreign_key_check");
            var (countsOk, countsMessage) = BackupVerifier.CompareRowCounts(backup.Manifest.TableRowCounts, SqliteFiles.RowCounts(c));
            outcome = integrity is ["ok"] && fk.Count == 0 && countsOk ? VerificationOutcome.Passed : VerificationOutcome.Failed;
            message = !(integrity is ["ok"]) ? "integrity_check: " + string.Join("; ", integrity.Take(3))
                : fk.Count > 0 ? $"{fk.Count} foreign key violation(s)"
                : countsMessage;
        }
        catch (Exception e) when (e is not OperationCanceledException && VerificationEvidence.Classify(e) is { } verdict)
        {
            outcome = verdict.Outcome;
            message = verdict.Cause is { } cause ? $"could not run ({cause}): {e.Message}" : e.Message;
            // Not a silent skip: a job that can not open its own backups could not restore them either, so it alerts.
            if (verdict.Cause == InconclusiveCause.MissingKey)
            {
                outcome = VerificationOutcome.Failed;
                message = $"no usable key to decrypt it ({e.Message}). Name the identity or passphrase in the job configuration's \"encryption\" section (identity_file, identity_env, passphrase_env or passphrase_file)";
            }
        }
        finally
        {
            scratch?.Dispose();
        }
        var result = new RestoreTestResult(backup, outcome, message, clock.Elapsed);
        switch (outcome)
        {
            case VerificationOutcome.Passed:
                logger.LogInformation(BackupEvents.RestoreTested, "Restore test of backup {Id} of {Database} passed: {Path}, {DurationMs} ms ({Message})",
                    backup.Id, backup.Database, backup.Path, (long)clock.Elapsed.TotalMilliseconds, message);
                break;
            case VerificationOutcome.Failed:
                logger.LogError(BackupEvents.RestoreTestFailed, "Restore test of backup {Id} of {Database} FAILED: {Path}: {Error}",
                    backup.Id, backup.Database, backup.Path, message);
                break;
            default:
                logger.LogWarning(BackupEvents.RestoreTestInconclusive, "Restore test of backup {Id} of {Database} was inconclusive, nothing was found wrong with the backup: {Path}: {Error}",
                    backup.Id, backup.Database, backup.Path, message);
                break;
        }
        return result;
    }
}
