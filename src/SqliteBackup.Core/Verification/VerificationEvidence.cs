using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.Core.Verification;

/// <summary>
/// Decides what an exception thrown while checking a backup proves. Evidence (the check failed) is only what the backup's
/// own bytes say: compressed data that does not decode, SQLITE_CORRUPT or SQLITE_NOTADB from the decompressed copy.
/// Everything the environment says (no space, no permission, an I/O error, no memory, cancelled) means the check could not
/// run. One place, so every caller (verifier, engine, restore test) draws the line the same way.
/// </summary>
internal static class VerificationEvidence
{
    /// <summary>What an exception proves: <see cref="VerificationOutcome.Failed"/>, or <see cref="VerificationOutcome.Inconclusive"/> with its cause.</summary>
    public readonly record struct Verdict(VerificationOutcome Outcome, InconclusiveCause? Cause = null)
    {
        public bool IsEvidence => Outcome == VerificationOutcome.Failed;
    }

    static Verdict Evidence => new(VerificationOutcome.Failed);
    static Verdict CouldNotRun(InconclusiveCause cause) => new(VerificationOutcome.Inconclusive, cause);

    /// <summary>
    /// Classifies an exception from a check. Null for exceptions that are neither evidence nor a known environment failure
    /// (programming errors): callers let those propagate rather than guess.
    /// </summary>
    public static Verdict? Classify(Exception e)
    {
        if (e is OperationCanceledException) return CouldNotRun(InconclusiveCause.Cancelled);
        if (BackupErrors.IsDiskFull(e)) return CouldNotRun(InconclusiveCause.DiskFull);
        return e switch
        {
            SqliteBackupException sbe => ClassifyError(sbe),
            SqliteException se when SqliteFiles.IsCorrupt(se) => Evidence,
            SqliteException se => CouldNotRun(se.SqliteErrorCode switch
            {
                3 or 8 or 23 => InconclusiveCause.PermissionDenied, // SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH
                5 or 6 => InconclusiveCause.Busy,
                7 => InconclusiveCause.OutOfMemory,
                9 => InconclusiveCause.Cancelled, // SQLITE_INTERRUPT
                10 or 14 or 15 => InconclusiveCause.IOError, // SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PROTOCOL
                _ => InconclusiveCause.CheckError,
            }),
            ZstdSharp.ZstdException z when z.Code == ZstdSharp.Unsafe.ZSTD_ErrorCode.ZSTD_error_memory_allocation => CouldNotRun(InconclusiveCause.OutOfMemory),
            // The compressed stream itself does not decode: that is the backup's bytes talking.
            ZstdSharp.ZstdException or InvalidDataException => Evidence,
            OutOfMemoryException or InsufficientMemoryException => CouldNotRun(InconclusiveCause.OutOfMemory),
            UnauthorizedAccessException => CouldNotRun(InconclusiveCause.PermissionDenied),
            IOException io when IsPermission(io) => CouldNotRun(InconclusiveCause.PermissionDenied),
            IOException => CouldNotRun(InconclusiveCause.IOError),
            _ => null,
        };
    }

    /// <summary>EACCES, EPERM and EROFS (which .NET reports as a plain IOException with the errno), and Windows' access denied.</summary>
    static bool IsPermission(IOException e) => e.HResult is 1 or 13 or 30 or unchecked((int)0x80070005) or unchecked((int)0x80070013);

    static Verdict ClassifyError(SqliteBackupException e)
    {
        if (BackupErrors.IsEvidenceAboutBackup(e)) return Evidence;
        if (e.ErrorId is "EncryptionIdentityMissing" or "EncryptionWrongIdentity") return CouldNotRun(InconclusiveCause.MissingKey);
        if (e.InnerException is { } inner && Classify(inner) is { } v) return v;
        return CouldNotRun(e.Category switch
        {
            BackupErrorCategory.PermissionDenied => InconclusiveCause.PermissionDenied,
            BackupErrorCategory.ResourceBusy => InconclusiveCause.Busy,
            BackupErrorCategory.ResourceUnavailable => InconclusiveCause.DiskFull,
            BackupErrorCategory.ReadError or BackupErrorCategory.WriteError => InconclusiveCause.IOError,
            _ => InconclusiveCause.CheckError,
        });
    }
}
