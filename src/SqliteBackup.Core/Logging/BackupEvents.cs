using Microsoft.Extensions.Logging;

namespace SqliteBackup.Core.Logging;

/// <summary>
/// The events of the backup log. Each is an EventId whose Name is the event's stable name in the log file, so the
/// engine only ever talks to ILogger and the JSON Lines provider knows what to keep.
/// </summary>
public static class BackupEvents
{
    public static readonly EventId BackupStarted = new(1000, nameof(BackupStarted));
    public static readonly EventId BackupSucceeded = new(1001, nameof(BackupSucceeded));
    public static readonly EventId BackupFailed = new(1002, nameof(BackupFailed));
    public static readonly EventId VerificationPassed = new(1010, nameof(VerificationPassed));
    public static readonly EventId VerificationFailed = new(1011, nameof(VerificationFailed));
    /// <summary>A check that could not run (no space, no permission...): proves nothing, counts as no failure.</summary>
    public static readonly EventId VerificationInconclusive = new(1012, nameof(VerificationInconclusive));
    public static readonly EventId RotationRemoved = new(1020, nameof(RotationRemoved));
    public static readonly EventId BackupRemoved = new(1021, nameof(BackupRemoved));
    public static readonly EventId OrphanRegistered = new(1022, nameof(OrphanRegistered));
    public static readonly EventId RestoreCompleted = new(1030, nameof(RestoreCompleted));
    public static readonly EventId RestoreTested = new(1031, nameof(RestoreTested));
    public static readonly EventId RestoreTestFailed = new(1032, nameof(RestoreTestFailed));
    public static readonly EventId RestoreTestInconclusive = new(1033, nameof(RestoreTestInconclusive));
    public static readonly EventId JobStarted = new(1040, nameof(JobStarted));
    public static readonly EventId JobCompleted = new(1041, nameof(JobCompleted));
    public static readonly EventId JobFailed = new(1042, nameof(JobFailed));
    /// <summary>One database's step of a job (rotation, restore test) failed unexpectedly; the job went on with the others.</summary>
    public static readonly EventId JobStepFailed = new(1043, nameof(JobStepFailed));
    public static readonly EventId NotificationSent = new(1050, nameof(NotificationSent));
    public static readonly EventId NotificationFailed = new(1051, nameof(NotificationFailed));
    public static readonly EventId FutureDatedBackup = new(1023, nameof(FutureDatedBackup));
    /// <summary>Notification events only: what a rotation or a restore run came to, for -Notify.</summary>
    public static readonly EventId RotationCompleted = new(1024, nameof(RotationCompleted));
    public static readonly EventId RotationFailed = new(1025, nameof(RotationFailed));
    public static readonly EventId RestoreFailed = new(1034, nameof(RestoreFailed));
    public static readonly EventId NotificationTest = new(1052, nameof(NotificationTest));
    public static readonly EventId BackupCopied = new(1060, nameof(BackupCopied));
    public static readonly EventId CopyFailed = new(1061, nameof(CopyFailed));

    // Guarded operations (Invoke-SqliteBackupGuard) and backups when an application stops: 1100-1119.
    public static readonly EventId GuardedOperationSucceeded = new(1100, nameof(GuardedOperationSucceeded));
    public static readonly EventId GuardedOperationFailed = new(1101, nameof(GuardedOperationFailed));
    /// <summary>A backup before the operation failed, so the operation was never started.</summary>
    public static readonly EventId GuardedOperationNotRun = new(1102, nameof(GuardedOperationNotRun));
    /// <summary>After a failed operation, the database was restored from the backup taken before it.</summary>
    public static readonly EventId GuardRestored = new(1103, nameof(GuardRestored));
    public static readonly EventId GuardRestoreFailed = new(1104, nameof(GuardRestoreFailed));
    /// <summary>-ExpectSchemaChange: user_version and schema hash before and after (Warning when unchanged).</summary>
    public static readonly EventId SchemaChangeChecked = new(1105, nameof(SchemaChangeChecked));
    /// <summary>A job with a time limit (a service's stop) gave up; what was not backed up is named.</summary>
    public static readonly EventId JobTimedOut = new(1106, nameof(JobTimedOut));

    /// <summary>Notification event only: Remove-SqliteBackup could not find or delete a backup.</summary>
    public static readonly EventId RemoveFailed = new(1026, nameof(RemoveFailed));

    // ---- issue 11, S3 trust (s3x) -------------------------------------------------------------------------------
    /// <summary>A run removed unfinished uploads an interrupted earlier run left in a store.</summary>
    public static readonly EventId StaleUploadsAborted = new(1062, nameof(StaleUploadsAborted));
    /// <summary>That cleanup failed (a warning: the backup goes on, the next run tries again).</summary>
    public static readonly EventId StaleUploadCleanupFailed = new(1063, nameof(StaleUploadCleanupFailed));
    /// <summary>Rotation would have removed a backup whose objects are locked (S3 Object Lock) until a later date: kept.</summary>
    public static readonly EventId RotationLocked = new(1064, nameof(RotationLocked));
    /// <summary>keep_local_until_copied: local rotation kept a backup it would remove, because a destination has no verified copy yet.</summary>
    public static readonly EventId KeptAwaitingCopy = new(1107, nameof(KeptAwaitingCopy));

    // ---- issue 11, remote copies repaired and remote orphans (fixcopy) -------------------------------------------
    /// <summary>Remove-SqliteBackup deleted an orphan (a backup-named object without a manifest) at a remote location.</summary>
    public static readonly EventId OrphanRemoved = new(1027, nameof(OrphanRemoved));

    // ---- issue 12, repository locks and prune (repo-ops) ------------------------------------------------------------
    /// <summary>A lock object left by a killed or vanished process (or not refreshed for 30 min) was removed.</summary>
    public static readonly EventId RepositoryStaleLockRemoved = new(1120, nameof(RepositoryStaleLockRemoved));
    /// <summary>A prune deleted the packs no snapshot references.</summary>
    public static readonly EventId RepositoryPruned = new(1121, nameof(RepositoryPruned));
    /// <summary>A prune deleted nothing: another process held a lock on the repository (the next rotation frees the space).</summary>
    public static readonly EventId RepositoryPruneDeferred = new(1122, nameof(RepositoryPruneDeferred));
    /// <summary>The repository check found damaged or missing packs.</summary>
    public static readonly EventId RepositoryCheckFailed = new(1123, nameof(RepositoryCheckFailed));

    // ---- issue 11, Object Lock on repositories (immut) --------------------------------------------------------------
    /// <summary>A prune kept unreferenced packs whose Object Lock (or immutability policy) has not expired; a later prune deletes them.</summary>
    public static readonly EventId RepositoryPacksLocked = new(1124, nameof(RepositoryPacksLocked));
    // ---- issue 13, encryption in the job configuration (encjob) ---------------------------------------------------
    /// <summary>The job's key source is usable but exposed (an identity or passphrase file others may read).</summary>
    public static readonly EventId JobEncryptionWarning = new(1130, nameof(JobEncryptionWarning));
}
