using Microsoft.Data.Sqlite;

namespace SqliteBackup.Core;

/// <summary>The catalogue of user-facing failures, so each ErrorId is spelt once.</summary>
public static class BackupErrors
{
    public static SqliteBackupException DatabaseNotFound(string path) => new(
        "DatabaseNotFound", BackupErrorCategory.ObjectNotFound,
        $"The database '{path}' does not exist.",
        "Check the path; relative paths are resolved against the current location.", path);

    public static SqliteBackupException NotASqliteDatabase(string path) => new(
        "NotASqliteDatabase", BackupErrorCategory.InvalidData,
        $"'{path}' is not a SQLite database (its header is not 'SQLite format 3'). It may be another kind of file, or an encrypted database.",
        "Point -Path at a plain SQLite database file. Encrypted databases (SQLCipher, SEE) are not supported.", path);

    public static SqliteBackupException DatabaseCorrupt(string path, string detail, Exception? inner = null) => new(
        "DatabaseCorrupt", BackupErrorCategory.InvalidData,
        $"The database '{path}' is damaged: {detail}. No backup was written.",
        "Run 'sqlite3 <db> \"PRAGMA integrity_check\"' to see the damage, and restore the database from an earlier good backup.", path, inner);

    public static SqliteBackupException DatabaseLocked(string path, TimeSpan waited, Exception? inner = null) => new(
        "DatabaseLocked", BackupErrorCategory.ResourceBusy,
        $"The database '{path}' stayed locked by another connection for {waited.TotalSeconds:0.#} s, so no consistent snapshot could be read.",
        "Retry when the long-running write transaction has finished, or raise -BusyTimeout.", path, inner);

    public static SqliteBackupException DestinationNotWritable(string path, Exception inner) => new(
        "DestinationNotWritable", BackupErrorCategory.PermissionDenied,
        $"Cannot write to the backup destination '{path}': {inner.Message}",
        "Choose a destination directory you can write to, or fix its permissions.", path, inner);

    public static SqliteBackupException DiskFull(string path, Exception inner) => new(
        "DiskFull", BackupErrorCategory.ResourceUnavailable,
        $"The disk holding '{path}' ran out of space. The partial file was removed; earlier backups are untouched.",
        "Free space on that disk (Invoke-BackupRotation can remove old backups) or choose another destination.", path, inner);

    public static SqliteBackupException BackupNotFound(string path) => new(
        "BackupNotFound", BackupErrorCategory.ObjectNotFound,
        $"No backup with a valid manifest was found at '{path}'.",
        "Use Get-SqliteBackup to list the backups in a directory; a backup is its file plus '<file>.manifest.json'.", path);

    public static SqliteBackupException BackupDirectoryNotFound(string path) => new(
        "BackupDirectoryNotFound", BackupErrorCategory.ObjectNotFound,
        $"The backup directory '{path}' does not exist.",
        "Pass the directory that New-SqliteBackup wrote to (by default 'backups' beside the database).", path);

    public static SqliteBackupException ChecksumMismatch(string path, string detail) => new(
        "BackupChecksumMismatch", BackupErrorCategory.InvalidData,
        $"The backup '{path}' does not match its manifest: {detail}. It has been changed or damaged since it was written.",
        "Do not restore from it. Pick another backup (Get-SqliteBackup) and run Test-SqliteBackup on it.", path);

    public static SqliteBackupException VerificationFailed(string path, string detail) => new(
        "BackupVerificationFailed", BackupErrorCategory.InvalidResult,
        $"The backup '{path}' failed verification: {detail}",
        "Do not rely on this backup. Take a new one and check the source database with PRAGMA integrity_check.", path);

    public static SqliteBackupException RestoreTargetIsDirectory(string path) => new(
        "RestoreTargetIsDirectory", BackupErrorCategory.InvalidArgument,
        $"The restore destination '{path}' is a directory.",
        "Pass the path of the database file to restore into, e.g. -Destination ./app.db.", path);

    public static SqliteBackupException RestoreTargetExists(string path) => new(
        "RestoreTargetExists", BackupErrorCategory.ResourceExists,
        $"The restore destination '{path}' already exists.",
        "Add -Force to replace it; a PreRestore backup of the current database is taken first.", path);

    public static SqliteBackupException InvalidQuery(string query, Exception inner) => new(
        "InvalidVerificationQuery", BackupErrorCategory.InvalidArgument,
        $"The verification query failed to run: {inner.Message}",
        "Check the SQL of -Query against a copy of the database with the sqlite3 CLI.", query, inner);

    /// <summary>Turns I/O failures while writing into the specific error a user can act on.</summary>
    public static SqliteBackupException ForWriteFailure(string path, Exception ex) => ex switch
    {
        SqliteBackupException sbe => sbe,
        _ when IsDiskFull(ex) => DiskFull(path, ex),
        _ => DestinationNotWritable(path, ex),
    };

    public static bool IsDiskFull(Exception ex)
    {
        for (Exception? e = ex; e != null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: 13 }) return true; // SQLITE_FULL
            if (e is IOException io)
            {
                int hr = io.HResult;
                // ENOSPC (28) and EDQUOT (122 on Linux) on Unix; ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL on Windows.
                if (hr == 28 || hr == 122 || hr == unchecked((int)0x80070027) || hr == unchecked((int)0x80070070)) return true;
                if (e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase)) return true;
            }
        }
        return false;
    }

    // ---- issue 8, time and secrets: bad input refused up front, and failures named for their real cause ----------

    public static SqliteBackupException DatabaseFileEmpty(string path) => new(
        "DatabaseFileEmpty", BackupErrorCategory.InvalidData,
        $"'{path}' is an empty file (0 bytes), not a database: there is nothing to back up. No backup was written.",
        "Check -Path: the application may not have created its database yet, or keeps it elsewhere. SQLite reads an empty file as a new, empty database, so a backup of it would restore nothing.", path);

    public static SqliteBackupException SourceNeedsRecovery(string path, Exception inner) => new(
        "SourceNeedsRecovery", BackupErrorCategory.InvalidOperation,
        $"The database '{path}' has a hot journal ('{path}-journal', left by a writer that crashed mid-transaction). SQLite must roll it back before anyone can read the database, and a backup only reads. Nothing was changed and no backup was written.",
        "Open the database once with the application or the sqlite3 CLI (e.g. sqlite3 <db> 'PRAGMA quick_check') as a user who can write it and its directory, so SQLite rolls back the hot journal; then back it up. Never delete the -journal file: that corrupts the database.", path, inner);

    public static SqliteBackupException SourceReadOnlyWal(string path, Exception inner) => new(
        "SourceReadOnlyWal", BackupErrorCategory.ReadError,
        $"The database '{path}' is in WAL mode and its '-shm' file does not exist. SQLite cannot read a WAL database without creating that file beside it, which is not possible here (a read-only file system or a directory you cannot write to). No backup was written.",
        "Back it up where it is writable: remount the file system read-write or run as a user who can write the directory, or copy the database file (with its -wal, if any) to a writable place and back up the copy. To make a database readable on read-only media, switch it to PRAGMA journal_mode=DELETE before the medium is made read-only.", path, inner);

    public static SqliteBackupException RestoreTargetNeedsRecovery(string path, Exception inner) => new(
        "RestoreTargetNeedsRecovery", BackupErrorCategory.InvalidOperation,
        $"The database '{path}' being replaced has a hot journal ('{path}-journal', left by a writer that crashed mid-transaction), so it cannot be read for its PreRestore backup. Nothing was changed.",
        "Open the database once with the application or the sqlite3 CLI (e.g. sqlite3 <db> 'PRAGMA quick_check') as a user who can write it and its directory, so SQLite rolls back the hot journal; then restore again. Never delete the -journal file: that corrupts the database.", path, inner);

    public static SqliteBackupException BackupDirectoryIsFile(string path) => new(
        "BackupDirectoryIsFile", BackupErrorCategory.InvalidArgument,
        $"The backup directory '{path}' is a file, not a directory. Nothing was written.",
        "Point the backup directory (-Destination, or backup_directory in the configuration) at a directory, or move the file out of the way.", path);

    public static SqliteBackupException SmtpPlainTextAuthRefused(string server) => new(
        "SmtpPlainTextAuthRefused", BackupErrorCategory.SecurityError,
        $"The SMTP login to {server} was not attempted: the connection is not encrypted (no TLS, or the server offers no STARTTLS), so the password would travel in clear text. No password was sent and no mail either.",
        "Use TLS: -SmtpSecurity StartTls (port 587) or Tls (port 465), smtp_security in the configuration. Only if the path to the server is trusted (e.g. a relay on localhost), allow it explicitly with -SmtpAllowPlainTextAuth or \"smtp_allow_plaintext_auth\": true (SmtpSettings.AllowPlainTextAuth).", server);
}
