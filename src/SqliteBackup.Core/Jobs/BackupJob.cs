using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// One scheduled run: for each database, an Automatic backup (verified), rotation by the configured policy, and once a
/// week a restore test of a randomly chosen backup. Everything lands in the backup log. One database failing does not
/// stop the others; the caller turns any failure into a non-zero exit code for the OS scheduler.
/// </summary>
public sealed class BackupJob(ILogger logger)
{
    /// <summary>The clock repository prunes (local and per destination) measure pack age by (tests run them as if hours later).</summary>
    internal Func<DateTime> PruneClock { get; init; } = () => DateTime.UtcNow;

    public static readonly TimeSpan RestoreTestInterval = TimeSpan.FromDays(7);

    public IReadOnlyList<DatabaseJobResult> Run(BackupJobConfig config, Action<BackupProgress>? progress = null, CancellationToken ct = default, Random? random = null,
        JobRunOptions? options = null)
    {
        random ??= Random.Shared;
        options ??= new JobRunOptions();
        var results = new List<DatabaseJobResult>();
        if (!config.Enabled)
        {
            logger.LogInformation("Backups are disabled in {Path}; nothing to do", config.ConfigPath);
            return results;
        }
        // Before the lock: keys that can not be read leave nothing behind, and fail the run with an alert.
        var keys = ReadKeys(config, ct);
        using var jobLock = AcquireLock(config, ct);
        // The caller's token (Ctrl+C) still cancels as before; the time limit is a token of its own, so that running out
        // of time is told apart from being stopped, and reported as the failure it is.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        DateTime? deadline = options.TimeLimit is { } tl ? DateTime.UtcNow + tl : null;
        if (options.TimeLimit is { } after) limit.CancelAfter(after);
        logger.LogInformation(BackupEvents.JobStarted, "Backup job started from {Path} for {Count} database(s)", config.ConfigPath, config.Databases.Count);
        // The log is read once per run, not once per database: it can hold megabytes of history.
        var lastRestoreTest = config.WeeklyRestoreTest ? ReadLastRestoreTests(config) : [];
        for (int i = 0; i < config.Databases.Count; i++)
        {
            string db = config.Databases[i];
            ct.ThrowIfCancellationRequested();
            if (limit.IsCancellationRequested)
            {
                // Linked to the caller's token: a Ctrl+C that came after the look above is a stop, not the time limit.
                ct.ThrowIfCancellationRequested();
                results.Add(TimedOut(new DatabaseJobResult(BackupNaming.DatabaseName(db), db), options, null));
                continue;
            }
            progress?.Invoke(new BackupProgress("Backup job " + Path.GetFileName(config.ConfigPath),
                $"{BackupNaming.DatabaseName(db)} ({i + 1} of {config.Databases.Count})", i * 100 / config.Databases.Count, Level: 0));
            results.Add(RunOne(config, db, lastRestoreTest, progress, random, limit.Token, ct, options, deadline, keys));
        }
        progress?.Invoke(new BackupProgress("Backup job " + Path.GetFileName(config.ConfigPath), "Done", 100, Completed: true, Level: 0));
        int failed = results.Count(r => !r.Succeeded);
        // A database whose backup was written before the limit ran out is not said to be "not backed up".
        var notBackedUp = results.Where(r => r.ErrorId == TimedOutErrorId).Select(r => r.Database).ToList();
        var notCopied = results.Where(r => r.ErrorId == CopyTimedOutErrorId).Select(r =>
            $"{r.Database} backed up to {r.Backup!.Path}, its copy to {r.Destinations.First(d => d.ErrorId == CopyTimedOutErrorId).Location} stopped").ToList();
        if (notBackedUp.Count > 0 || notCopied.Count > 0)
            logger.LogError(BackupEvents.JobTimedOut, "Backup job from {Path} gave up after its time limit of {Limit} s ({Type} backup): {Error}",
                config.ConfigPath, (int)options.TimeLimit!.Value.TotalSeconds, options.Type,
                string.Join("; ", (notBackedUp.Count > 0 ? [string.Join(", ", notBackedUp) + " not backed up; nothing partial was left behind"] : Array.Empty<string>()).Concat(notCopied)));
        if (failed == 0)
            logger.LogInformation(BackupEvents.JobCompleted, "Backup job from {Path} completed: {Count} database(s)", config.ConfigPath, results.Count);
        else
            logger.LogError(BackupEvents.JobFailed, "Backup job from {Path} failed for {Failed} of {Count} database(s): {Error}",
                config.ConfigPath, failed, results.Count, string.Join("; ", results.Where(r => !r.Succeeded).Select(r => $"{r.Database}: {r.Error}")));
        Report(config, results, ct);
        return results;
    }

    /// <summary>
    /// The keys named by the configuration's "encryption" section, read once per run. A key that can not be read fails
    /// every database before anything is written, and alerts, like a job that cannot start.
    /// </summary>
    JobKeys? ReadKeys(BackupJobConfig config, CancellationToken ct)
    {
        if (config.Encryption == null) return null;
        try
        {
            var keys = config.Encryption.Resolve();
            foreach (var w in keys.Warnings)
                logger.LogWarning(BackupEvents.JobEncryptionWarning, "{ErrorId}: {Warning} {Action}", w.ErrorId, w.Message, w.RecommendedAction);
            return keys;
        }
        catch (SqliteBackupException e)
        {
            logger.LogError(BackupEvents.JobFailed, "Backup job from {Path} could not start: {Error}", config.ConfigPath, e.Message);
            Report(config, config.Databases.Select(db => new DatabaseJobResult(BackupNaming.DatabaseName(db), db) { ErrorId = e.ErrorId, Error = e.Message }).ToList(), ct);
            throw;
        }
    }

    /// <summary>A job that cannot start fails every database, and says so in its alert; a job already running is not a failure.</summary>
    JobLock AcquireLock(BackupJobConfig config, CancellationToken ct)
    {
        SqliteBackupException error;
        try
        {
            // Before anything is created or locked: the lock, the log and rotation all trust what these folders hold.
            // The lock is the job's first write, so a backup directory that cannot be one is reported here, by name.
            LocalDirectoryStore.CheckBeforeCreate(config.BackupDirectory, config.AllowInsecureDirectory);
            Trust.DirectoryTrust.Demand(Path.GetDirectoryName(config.LogFile)!, config.AllowInsecureDirectory);
            return JobLock.Acquire(config.BackupDirectory);
        }
        catch (SqliteBackupException e) when (e.ErrorId == "BackupJobAlreadyRunning") { throw; }
        catch (SqliteBackupException e) { error = e; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { error = BackupErrors.ForWriteFailure(config.BackupDirectory, e); }
        logger.LogError(BackupEvents.JobFailed, "Backup job from {Path} could not start: {Error}", config.ConfigPath, error.Message);
        Report(config, config.Databases.Select(db => new DatabaseJobResult(BackupNaming.DatabaseName(db), db) { ErrorId = error.ErrorId, Error = error.Message }).ToList(), ct);
        throw error;
    }

    /// <summary>
    /// What <see cref="Run"/> would do now, read-only: no lock, no log line, no file. Rotation is planned as if this run's
    /// backup were already there (verified, unless verification is off), by the same planner the run uses.
    /// </summary>
    public IReadOnlyList<JobPlanStep> Preview(BackupJobConfig config, DateTime utcNow, JobRunOptions? options = null)
    {
        options ??= new JobRunOptions();
        var steps = new List<JobPlanStep>();
        if (!config.Enabled) return steps;
        // Keys that can not be read stop the whole run before anything is written: said first.
        if (config.Encryption?.Check().Problem is { } keys)
            foreach (var db in config.Databases)
                steps.Add(new(BackupNaming.DatabaseName(db), db, keys.Message + " The job would fail before backing anything up.", WouldFail: true));
        var existing = ListLocal(config, missing: []);
        var lastRestoreTest = config.WeeklyRestoreTest && File.Exists(config.LogFile) ? ReadLastRestoreTests(config) : [];
        foreach (var db in config.Databases)
        {
            string source = Path.GetFullPath(db), name = BackupNaming.DatabaseName(source);
            if (Directory.Exists(source) || !File.Exists(source))
            {
                steps.Add(new(name, source, (Directory.Exists(source) ? BackupErrors.DatabasePathIsDirectory(source) : BackupErrors.DatabaseNotFound(source)).Message
                    + " The job would fail for it.", WouldFail: true));
                continue;
            }
            steps.Add(new(name, source, $"Back up as {options.Type} ({config.Compression.ToString().ToLowerInvariant()}"
                + (config.Encryption is { } enc ? $", then encrypted (age, {enc})" : "") + ")"
                + (config.Verification == VerificationLevel.None ? ", not verified" : $", then verify ({config.Verification})")
                + (options.TimeLimit is { } limit ? $", all within {(int)limit.TotalSeconds} s or abandoned" : "")));
            foreach (var d in config.Destinations)
            {
                string where = Storage.StoreText.Redact(d.Location);
                steps.Add(new(name, where, $"Copy the new backup to {where} (data, check of what is stored, manifest last)"
                    + (config.KeepLocalUntilCopied ? ", with the older local backups it has no copy of yet" : "")
                    + $", then rotate there: {d.Retention ?? config.RetentionPolicy}" + (d.Credential is { } c ? $"; credential: {c}" : "")));
            }
            if (config.KeepLocalUntilCopied && config.Destinations.Count > 0)
                steps.Add(new(name, config.BackupDirectory, "Keep each local backup that rotation would remove until every destination holds a verified copy of it (keep_local_until_copied)"));
            var mine = existing.Where(b => b.Database == name).ToList();
            var decisions = BackupRotation.PlanWithNewBackup(mine, utcNow, options.Type, config.Verification != VerificationLevel.None,
                config.RetentionPolicy, TimeZoneInfo.Local);
            foreach (var d in decisions)
                steps.Add(new(name, d.Path, $"{(d.Action == Retention.RetentionAction.Remove ? "Remove" : "Keep")} by rotation: {string.Join(", ", d.Reasons)}"));
            if (!config.WeeklyRestoreTest || options.Type != BackupType.Automatic) continue;
            bool tested = lastRestoreTest.TryGetValue(name, out var last);
            if (!tested || utcNow - last >= RestoreTestInterval)
                steps.Add(new(name, name, $"Restore-test one backup of {name}, chosen at random"
                    + (config.RestoreTestOffsite && config.Destinations.Count > 0 ? " among the destinations' copies (fetched first; a local one when they hold none)" : "") + " ("
                    + (tested ? $"the last restore test was on {last:yyyy-MM-dd HH:mm} UTC" : "no restore test in the log yet") + ")"));
        }
        return steps;
    }

    static readonly string TimedOutErrorId = BackupErrors.JobTimedOut("", TimeSpan.Zero, null).ErrorId;
    static readonly string CopyTimedOutErrorId = BackupErrors.DestinationTimedOut("", "", TimeSpan.Zero).ErrorId;

    /// <summary>
    /// The other destinations that failed, each with its ErrorId: the job's error (its log line, the exception a shell
    /// sees) names them all, not only the first, as its notification does.
    /// </summary>
    static string AlsoFailed(IReadOnlyList<DestinationResult> copies, DestinationResult first)
    {
        var others = copies.Where(c => !c.Succeeded && !ReferenceEquals(c, first)).ToList();
        return others.Count == 0 ? "" : " Also failed: " + string.Join("; ", others.Select(c => c.Copy != null
            ? $"listing and rotating {c.Location}, which has the copy ({c.ErrorId})"
            : $"the copy to {c.Location} ({c.ErrorId})")) + ".";
    }

    /// <summary>The limit ran out during the copy to <paramref name="destination"/>: the local backup stands, that destination failed.</summary>
    DatabaseJobResult CopyTimedOut(DatabaseJobResult result, List<DestinationResult> copies, string destination, JobRunOptions options)
    {
        var error = BackupErrors.DestinationTimedOut(result.Backup!.Path, destination, options.TimeLimit!.Value);
        logger.LogError(BackupEvents.CopyFailed, "Copy of {Database} backup {Id} to {Destination} failed ({ErrorId}): {Error}",
            result.Database, result.Backup.Id, destination, error.ErrorId, error.Message);
        copies.RemoveAll(c => c.Location == destination);
        copies.Add(new DestinationResult(destination) { ErrorId = error.ErrorId, Error = error.Message });
        return result with { Destinations = copies, ErrorId = error.ErrorId, Error = error.Message };
    }

    static DatabaseJobResult TimedOut(DatabaseJobResult result, JobRunOptions options, Exception? cause)
    {
        var error = BackupErrors.JobTimedOut(result.DatabasePath, options.TimeLimit!.Value, cause);
        return result with { ErrorId = error.ErrorId, Error = error.Message };
    }

    DatabaseJobResult RunOne(BackupJobConfig config, string db, IReadOnlyDictionary<string, DateTime> lastRestoreTest,
        Action<BackupProgress>? progress, Random random, CancellationToken ct, CancellationToken stopped, JobRunOptions options, DateTime? deadline, JobKeys? keys)
    {
        var clock = Stopwatch.StartNew();
        var result = new DatabaseJobResult(BackupNaming.DatabaseName(db), db);
        string step = "back up";
        string? copying = null;
        var copies = new List<DestinationResult>();
        try
        {
            var backup = new BackupEngine(logger).Create(new BackupRequest(db)
            {
                Destination = config.BackupDirectory,
                Type = options.Type,
                // SQLite waits for a lock without looking at any token: the wait must end with the time limit (a second
                // after it, so that the limit has visibly passed when it does).
                BusyTimeout = deadline is { } until ? TimeSpan.FromSeconds(Math.Clamp((until - DateTime.UtcNow).TotalSeconds + 1, 1, 30)) : TimeSpan.FromSeconds(30),
                Compression = config.Compression,
                Incremental = config.Incremental,
                Encryption = keys?.Encryption,
                Verify = config.Verification,
                ScratchPath = config.ScratchDirectory,
                AllowInsecureDirectory = config.AllowInsecureDirectory,
            }, progress, ct);
            result = result with { Backup = backup };
            // Off-site first: a new backup leaves the machine before local rotation changes anything.
            bool hold = config.KeepLocalUntilCopied && config.Destinations.Count > 0;
            if (config.Destinations.Count > 0)
            {
                step = "copy the backup to its destinations";
                var local = hold ? ListLocal(config).Where(b => b.Database == backup.Database).ToList() : null;
                foreach (var d in config.Destinations)
                {
                    ct.ThrowIfCancellationRequested();
                    copying = StoreText.Redact(d.Location);
                    var copy = new DestinationStep(logger) { UtcNow = PruneClock }.Run(d, backup, config.RetentionPolicy, progress, ct, local);
                    copies.Add(copy);
                    // A store error raised while the limit ran out is the limit's doing: told as such below.
                    ct.ThrowIfCancellationRequested();
                }
                copying = null;
                result = result with { Destinations = copies };
                if (copies.FirstOrDefault(c => !c.Succeeded) is { } failedCopy)
                    result = result with { ErrorId = failedCopy.ErrorId, Error = failedCopy.Copy != null
                        ? $"{failedCopy.Location} has the copy, but listing and rotating it failed: {failedCopy.Error}"
                        : $"the copy to {failedCopy.Location} failed: {failedCopy.Error}" + AlsoFailed(copies, failedCopy) };
            }
            step = "rotate the backups";

            var mine = ListLocal(config).Where(b => b.Database == backup.Database).ToList();
            var rotation = new BackupRotation(logger) { UtcNow = PruneClock };
            var now = DateTimeOffset.UtcNow;
            var decisions = BackupRotation.Plan(mine, config.RetentionPolicy, TimeZoneInfo.Local, now: now);
            foreach (var d in decisions.Where(d => d.FutureDated))
                BackupRotation.WarnFutureDated(logger, d, now);
            if (hold)
            {
                decisions = OffsiteHold.Apply(decisions, result.Destinations);
                foreach (var d in decisions.Where(d => d.KeptAs.Contains(OffsiteHold.KeptAs)))
                    logger.LogWarning(BackupEvents.KeptAwaitingCopy, "Kept {Type} backup {Id} of {Database} taken {Created:u}: {Path} ({Reason})",
                        d.Type, d.Backup.Id, d.Database, d.Backup.CreatedUtc, d.Path, d.Reasons[0]);
            }
            foreach (var d in decisions) rotation.Apply(d, config.AllowInsecureDirectory);
            IReadOnlyList<Repository.PruneResult> pruned = [];
            if (decisions.Any(d => d.Backup.Format == BackupFormat.Snapshot))
            {
                step = "prune the repository";
                // A backup of another database holding the repository's lock defers it: warned, freed by the next run.
                pruned = rotation.PruneRepositories(decisions, whatIf: false, config.AllowInsecureDirectory, ct);
            }
            result = result with
            {
                Removed = decisions.Count(d => d.Removed), Kept = decisions.Count(d => !d.Removed), Rotation = decisions,
                PacksPruned = pruned.Sum(p => p.PacksDeleted), BytesFreed = pruned.Sum(p => p.BytesFreed), PacksLocked = pruned.Sum(p => p.PacksLocked),
            };

            bool due = !lastRestoreTest.TryGetValue(backup.Database, out var last) || DateTime.UtcNow - last >= RestoreTestInterval;
            // A stop's backup must be quick: the restore test is left to the scheduled runs.
            if (options.Type == BackupType.Automatic && config.WeeklyRestoreTest && due && decisions.Any(d => !d.Removed && d.Backup.Verified != false))
            {
                step = "restore-test a backup";
                // What rotation kept is what is left in the directory: no second listing needed.
                var candidates = decisions.Where(d => !d.Removed && d.Backup.Verified != false).Select(d => d.Backup).ToList();
                // Off-site: what each destination kept after its own rotation, already listed; locally when none holds one.
                var offsite = config.RestoreTestOffsite ? result.Destinations.Where(d => d.Succeeded).SelectMany(d => d.Copies).Where(b => b.Verified != false).ToList() : [];
                if (offsite.Count > 0) candidates = offsite;
                var chosen = candidates[random.Next(candidates.Count)];
                var test = new RestoreTester(logger, config.ScratchDirectory, config.ScratchDirectory ?? config.BackupDirectory, keys?.Keys).Test(chosen, ct, config.AllowInsecureDirectory);
                result = result with { RestoreTest = test };
                // A test that could not run (no space...) proves nothing: it is logged, and tried again next run.
                if (test.Outcome == VerificationOutcome.Failed && result.Error == null)
                {
                    var failure = BackupErrors.RestoreTestFailed(chosen.Path, test.Message);
                    result = result with { ErrorId = failure.ErrorId, Error = failure.Message };
                }
            }
        }
        // Cancelled and not by the caller: the time limit ran out. (Not told by the clock: the limit's timer may fire a
        // millisecond before DateTime.UtcNow reaches the deadline, and the cancellation would then escape the job.)
        catch (Exception e) when (ct.IsCancellationRequested && !stopped.IsCancellationRequested && deadline != null && e is OperationCanceledException or SqliteBackupException)
        {
            result = copying != null && result.Backup != null
                ? CopyTimedOut(result, copies, copying, options)
                : TimedOut(result, options, e as SqliteBackupException);
        }
        catch (SqliteBackupException e)
        {
            result = result with { ErrorId = e.ErrorId, Error = e.Message };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Rotation and the restore test touch the backup directory too; a failure there is this database's, not the job's.
            var mapped = BackupErrors.ForWriteFailure(config.BackupDirectory, e);
            logger.LogError(BackupEvents.JobStepFailed, e, "Backup job step failed for {Database} ({ErrorId}): {Error}", result.Database, mapped.ErrorId, mapped.Message);
            result = result with { ErrorId = mapped.ErrorId, Error = mapped.Message };
        }
        // Anything else (an old backup that cannot be deleted, a bug) fails this database only: the next ones still
        // get their backup, and the failure is logged and alerted like any other.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = BackupErrors.JobStepFailed(db, step, e);
            logger.LogError(BackupEvents.JobStepFailed, e, "Backup job step failed for {Database} ({ErrorId}): {Error}", result.Database, error.ErrorId, error.Message);
            result = result with { ErrorId = error.ErrorId, Error = error.Message };
        }
        return result with { Duration = clock.Elapsed };
    }

    /// <summary>One alert per run. Notifications never fail the job: the notifier logs and swallows its own failures.</summary>
    void Report(BackupJobConfig config, IReadOnlyList<DatabaseJobResult> results, CancellationToken ct)
    {
        var failed = results.Where(r => !r.Succeeded).ToList();
        if (config.Notify.Count == 0 || results.Count == 0 || (failed.Count == 0 && !config.NotifyOnSuccess)) return;
        var message = Notifications.NotificationMessage.ForJob(config.ConfigPath, results);
        new Notifications.Notifier(logger, config.Smtp).Send(config.Notify, message, ct);
    }

    /// <summary>A log that cannot be read must not stop the backups: the restore tests are then simply due.</summary>
    /// <summary>The job's local backups; <paramref name="missing"/> when the directory does not exist yet (a preview before the first run).</summary>
    IReadOnlyList<BackupInfo> ListLocal(BackupJobConfig config, IReadOnlyList<BackupInfo>? missing = null)
    {
        try { return new StoreCatalog(logger).ListLocation(config.BackupDirectory, config.AllowInsecureDirectory); }
        catch (SqliteBackupException e) when (missing != null && e.ErrorId == "BackupDirectoryNotFound") { return missing; }
    }

    Dictionary<string, DateTime> ReadLastRestoreTests(BackupJobConfig config)
    {
        try { return LastRestoreTests(new JsonLinesLog(config.LogFile)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not read the backup log {Path} to find the last restore tests ({Error}); every restore test is due", config.LogFile, e.Message);
            return [];
        }
    }

    static Dictionary<string, DateTime> LastRestoreTests(JsonLinesLog log) => log.Read()
        .Where(e => e.Event == BackupEvents.RestoreTested.Name && e.Database != null)
        .GroupBy(e => e.Database!, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Max(e => e.Time.ToUniversalTime()), StringComparer.Ordinal);
}
