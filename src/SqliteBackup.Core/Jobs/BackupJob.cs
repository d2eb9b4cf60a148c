using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// One scheduled run: for each database, an Automatic backup (verified), rotation by the configured policy, and once a
/// week a restore test of a randomly chosen backup. Everything lands in the backup log. One database failing does not
/// stop the others; the caller turns any failure into a non-zero exit code for the OS scheduler.
/// </summary>
public sealed class BackupJob(ILogger logger)
{
    public static readonly TimeSpan RestoreTestInterval = TimeSpan.FromDays(7);

    public IReadOnlyList<DatabaseJobResult> Run(BackupJobConfig config, Action<BackupProgress>? progress = null, CancellationToken ct = default, Random? random = null)
    {
        random ??= Random.Shared;
        var results = new List<DatabaseJobResult>();
        if (!config.Enabled)
        {
            logger.LogInformation("Backups are disabled in {Path}; nothing to do", config.ConfigPath);
            return results;
        }
        // Before anything is created or locked: the lock, the log and rotation all trust what these folders hold.
        Trust.DirectoryTrust.Demand(config.BackupDirectory, config.AllowInsecureDirectory);
        Trust.DirectoryTrust.Demand(Path.GetDirectoryName(config.LogFile)!, config.AllowInsecureDirectory);
        using var jobLock = AcquireLock(config.BackupDirectory);
        logger.LogInformation(BackupEvents.JobStarted, "Backup job started from {Path} for {Count} database(s)", config.ConfigPath, config.Databases.Count);
        // The log is read once per run, not once per database: it can hold megabytes of history.
        var lastRestoreTest = config.WeeklyRestoreTest ? LastRestoreTests(new JsonLinesLog(config.LogFile)) : [];
        for (int i = 0; i < config.Databases.Count; i++)
        {
            string db = config.Databases[i];
            ct.ThrowIfCancellationRequested();
            progress?.Invoke(new BackupProgress("Backup job " + Path.GetFileName(config.ConfigPath),
                $"{BackupNaming.DatabaseName(db)} ({i + 1} of {config.Databases.Count})", i * 100 / config.Databases.Count, Level: 0));
            var result = RunOne(config, db, lastRestoreTest, progress, random, ct);
            results.Add(result);
            Report(config, result, ct);
        }
        progress?.Invoke(new BackupProgress("Backup job " + Path.GetFileName(config.ConfigPath), "Done", 100, Completed: true, Level: 0));
        int failed = results.Count(r => !r.Succeeded);
        if (failed == 0)
            logger.LogInformation(BackupEvents.JobCompleted, "Backup job from {Path} completed: {Count} database(s)", config.ConfigPath, results.Count);
        else
            logger.LogError(BackupEvents.JobFailed, "Backup job from {Path} failed for {Failed} of {Count} database(s): {Error}",
                config.ConfigPath, failed, results.Count, string.Join("; ", results.Where(r => !r.Succeeded).Select(r => $"{r.Database}: {r.Error}")));
        return results;
    }

    DatabaseJobResult RunOne(BackupJobConfig config, string db, IReadOnlyDictionary<string, DateTime> lastRestoreTest,
        Action<BackupProgress>? progress, Random random, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var result = new DatabaseJobResult(BackupNaming.DatabaseName(db), db);
        try
        {
            var backup = new BackupEngine(logger).Create(new BackupRequest(db)
            {
                Destination = config.BackupDirectory,
                Type = BackupType.Automatic,
                Compression = config.Compression,
                Verify = config.Verification,
                ScratchPath = config.ScratchDirectory,
                AllowInsecureDirectory = config.AllowInsecureDirectory,
            }, progress, ct);
            result = result with { Backup = backup };

            var mine = new BackupCatalog(logger) { AllowInsecureDirectory = config.AllowInsecureDirectory }.List(config.BackupDirectory).Where(b => b.Database == backup.Database).ToList();
            var rotation = new BackupRotation(logger);
            var now = DateTimeOffset.UtcNow;
            var decisions = BackupRotation.Plan(mine, config.RetentionPolicy, TimeZoneInfo.Local, now: now);
            foreach (var d in decisions.Where(d => d.FutureDated))
                BackupRotation.WarnFutureDated(logger, d, now);
            foreach (var d in decisions) rotation.Apply(d, config.AllowInsecureDirectory);
            result = result with { Removed = decisions.Count(d => d.Removed), Kept = decisions.Count(d => !d.Removed) };

            bool due = !lastRestoreTest.TryGetValue(backup.Database, out var last) || DateTime.UtcNow - last >= RestoreTestInterval;
            if (config.WeeklyRestoreTest && due)
            {
                // What rotation kept is what is left in the directory: no second listing needed.
                var candidates = decisions.Where(d => !d.Removed && d.Backup.Verified != false).Select(d => d.Backup).ToList();
                var chosen = candidates[random.Next(candidates.Count)];
                var test = new RestoreTester(logger, config.ScratchDirectory).Test(chosen, ct, config.AllowInsecureDirectory);
                result = result with { RestoreTest = test };
                // A test that could not run (no space...) proves nothing: it is logged, and tried again next run.
                if (test.Outcome == VerificationOutcome.Failed)
                    result = result with { ErrorId = "RestoreTestFailed", Error = $"the restore test of {chosen.Path} failed: {test.Message}" };
            }
        }
        catch (SqliteBackupException e)
        {
            result = result with { ErrorId = e.ErrorId, Error = e.Message };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Rotation and the restore test touch the backup directory too; a failure there is this database's, not the job's.
            var mapped = BackupErrors.ForWriteFailure(config.BackupDirectory, e);
            result = result with { ErrorId = mapped.ErrorId, Error = mapped.Message };
        }
        return result with { Duration = clock.Elapsed };
    }

    /// <summary>The lock is the job's first write, so a backup directory that cannot be one is reported here, by name.</summary>
    static JobLock AcquireLock(string backupDirectory)
    {
        if (File.Exists(backupDirectory)) throw BackupErrors.BackupDirectoryIsFile(backupDirectory);
        try { return JobLock.Acquire(backupDirectory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw BackupErrors.ForWriteFailure(backupDirectory, e); }
    }

    /// <summary>Notifications never fail the job: the notifier logs and swallows its own failures.</summary>
    void Report(BackupJobConfig config, DatabaseJobResult r, CancellationToken ct)
    {
        if (config.Notify.Count == 0 || (r.Succeeded && !config.NotifyOnSuccess)) return;
        var message = new Notifications.NotificationMessage
        {
            Event = r.Succeeded ? "JobCompleted" : "JobFailed",
            Success = r.Succeeded,
            Summary = r.Succeeded ? $"scheduled backup of {r.Database} succeeded ({r.Backup?.Size} bytes, {r.Removed} removed by rotation)"
                + (r.RestoreTest?.Outcome == VerificationOutcome.Inconclusive ? $"; the restore test could not run ({r.RestoreTest.Message})" : "")
                : $"scheduled backup of {r.Database} FAILED: {r.ErrorId}",
            Database = r.Database, BackupId = r.Backup?.Id, Path = r.Backup?.Path, Size = r.Backup?.Size, Error = r.Error,
        };
        new Notifications.Notifier(logger, config.Smtp).Send(config.Notify, message, ct);
    }

    static Dictionary<string, DateTime> LastRestoreTests(JsonLinesLog log) => log.Read()
        .Where(e => e.Event == BackupEvents.RestoreTested.Name && e.Database != null)
        .GroupBy(e => e.Database!, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Max(e => e.Time.ToUniversalTime()), StringComparer.Ordinal);
}
