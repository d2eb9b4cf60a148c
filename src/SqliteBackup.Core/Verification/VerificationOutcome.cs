namespace SqliteBackup.Core.Verification;

/// <summary>
/// What one verification proved. Only <see cref="Failed"/> says anything against a backup, and it takes evidence about
/// the backup's own bytes (see <see cref="VerificationEvidence"/>). A check that could not run proves nothing either way:
/// it is <see cref="Inconclusive"/>, and nothing (rotation, statistics, alerts) treats it as a failure.
/// </summary>
public enum VerificationOutcome
{
    Passed,
    Failed,
    Inconclusive,
}

/// <summary>Why a check could not run. Each becomes an error the user can act on (<see cref="BackupErrors.CheckCouldNotRun"/>).</summary>
public enum InconclusiveCause
{
    /// <summary>No room for the scratch copy (ENOSPC, quota, SQLITE_FULL).</summary>
    DiskFull,
    /// <summary>No permission to read the backup or to write the scratch folder, or a read-only file system.</summary>
    PermissionDenied,
    /// <summary>An I/O error that is not a statement about the backup's contents (EIO, a vanished mount, a file removed mid-check).</summary>
    IOError,
    OutOfMemory,
    /// <summary>The scratch copy was locked by someone else.</summary>
    Busy,
    Cancelled,
    /// <summary>A key needed to read the backup is not available (encrypted stores).</summary>
    MissingKey,
    /// <summary>The check itself raised an error that does not describe the bytes, e.g. a collation the application defines.</summary>
    CheckError,
}
