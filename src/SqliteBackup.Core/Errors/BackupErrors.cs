using Microsoft.Data.Sqlite;
using SqliteBackup.Core.Verification;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Reporting;

namespace SqliteBackup.Core.Errors;

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
        "Retry when the long-running write transaction has finished, or give New-SqliteBackup or Restore-SqliteBackup a longer -BusyTimeoutSec (a job waits 30 s).", path, inner);

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

    /// <summary>Our own errors already say what they mean; these two are statements about a backup's bytes, not about the environment.</summary>
    // A snapshot's pack that is gone or does not decode, or an encrypted backup that is not authentic or whose ciphertext is
    // damaged, is its own bytes talking: the backup cannot be restored.
    internal static bool IsEvidenceAboutBackup(SqliteBackupException e) =>
        e.ErrorId is "BackupChecksumMismatch" or "BackupVerificationFailed" or "RepositoryDamaged" or "RepositoryPackMissing" or "BackupNotAuthentic" or "EncryptedDataDamaged";

    public static SqliteBackupException UnknownStoreScheme(string location, string scheme, string known) => new(
        "UnknownStoreScheme", BackupErrorCategory.InvalidArgument,
        $"'{location}' names a storage scheme '{scheme}://' this module does not know.",
        $"Use a local path or one of: {(known.Length > 0 ? known : "(none registered)")}.", location);

    public static SqliteBackupException StoreObjectNotFound(string location, string name) => new(
        "StoreObjectNotFound", BackupErrorCategory.ObjectNotFound,
        $"'{name}' is not in {location}: it was deleted or never completed.",
        "List what is there with Get-SqliteBackup; a backup whose data object is missing cannot be restored.", location + "/" + name);

    public static SqliteBackupException StoreObjectExists(string location, string name) => new(
        "StoreObjectExists", BackupErrorCategory.ResourceExists,
        $"'{name}' already exists in {location}; it was left as it is.",
        "A backup object is never replaced. If it is the same backup, nothing needs doing; otherwise investigate where it came from.", location + "/" + name);

    public static SqliteBackupException CopyConflict(string location, string name, string what) => new(
        "CopyConflict", BackupErrorCategory.ResourceExists,
        $"{location} already holds {what} as '{name}'; it was left as it is and nothing was copied.",
        "Compare the two (Get-SqliteBackup on both locations); a backup object is never overwritten. Remove the one at the destination yourself if it is not wanted.", location + "/" + name);

    public static SqliteBackupException CopyCorrupted(string location, string name, string stored, string expected) => new(
        "CopyCorrupted", BackupErrorCategory.InvalidResult,
        $"The copy of '{name}' in {location} does not hold what was sent (SHA-256 {stored}, expected {expected}); it was deleted and no manifest was written.",
        "Check the storage service and the network, then copy again.", location + "/" + name);

    public static SqliteBackupException StoreObjectNameInvalid(string location, string name) => new(
        "StoreObjectNameInvalid", BackupErrorCategory.SecurityError,
        $"'{name}' is not a plain object name in {location} (it has a path separator, is '..' or is empty).",
        "A manifest may only name a backup object in its own location; do not trust this one.", location);

    public static SqliteBackupException BackupFailed(string source, Exception inner) => new(
        "BackupFailed", BackupErrorCategory.InvalidOperation,
        $"The backup of '{source}' failed: {inner.Message}",
        "See the inner exception; no backup file was left behind.", source, inner);

    public static SqliteBackupException BackupRemoveFailed(string path, Exception inner) => new(
        "BackupRemoveFailed", BackupErrorCategory.WriteError,
        $"Could not delete the backup '{path}': {inner.Message}",
        "Check the permissions of the backup directory.", path, inner);

    public static SqliteBackupException RotationRemoveFailed(string path, Exception inner) => new(
        "RotationRemoveFailed", BackupErrorCategory.WriteError,
        $"Could not remove '{path}': {inner.Message}",
        "Check the permissions of the backup directory; the next rotation retries.", path, inner);

    public static SqliteBackupException NotABackupDirectory(string dir) => new(
        "NotABackupDirectory", BackupErrorCategory.InvalidArgument,
        $"'{dir}' holds files but no backup manifests, so it is not a backup directory. Nothing was removed.",
        "Point -Path at the directory New-SqliteBackup writes to (by default 'backups' beside the database).", dir);

    public static SqliteBackupException NoBackupsFound(string dir) => new(
        "NoBackupsFound", BackupErrorCategory.ObjectNotFound,
        $"'{dir}' holds no backups, so there is nothing to rotate.", "Check the path, or take a backup first with New-SqliteBackup.", dir);

    public static SqliteBackupException SampleDatabaseExists(string path) => new(
        "SampleDatabaseExists", BackupErrorCategory.ResourceExists,
        $"'{path}' already exists; the sample database is only ever written to a new file.",
        "Choose a path that does not exist.", path);

    public static SqliteBackupException ReportPathIsDirectory(string path) => new(
        "ReportPathIsDirectory", BackupErrorCategory.InvalidArgument,
        $"'{path}' is a directory; the report is one HTML file.",
        "Give a file name such as ./backup-report.html.", path);

    public static SqliteBackupException ReportNotWritable(string path, Exception inner) => new(
        "ReportNotWritable", BackupErrorCategory.WriteError,
        $"Could not write the report '{path}': {inner.Message}",
        "Check that the folder exists and that you may write to it.", path, inner);

    public static SqliteBackupException BackupLogNotFound(string file) => new(
        "BackupLogNotFound", BackupErrorCategory.ObjectNotFound,
        $"There is no backup log at '{file}'.",
        "Pass the backup directory or the log file named by the configuration's log_file.", file);

    public static SqliteBackupException QueryNeedsFullLevel(string query) => new(
        "QueryNeedsFullLevel", BackupErrorCategory.InvalidArgument,
        "-Query runs only at -VerificationLevel Full.",
        "Add -VerificationLevel Full, or drop -Query.", query);

    public static SqliteBackupException NoNotificationTarget() => new(
        "NoNotificationTarget", BackupErrorCategory.InvalidArgument,
        "Name at least one target with -Notify.",
        "Example: -Notify https://hooks.example.com/x, mailto:ops@example.com");

    public static SqliteBackupException InvalidNotificationTarget(string detail, IEnumerable<string> targets) => new(
        "InvalidNotificationTarget", BackupErrorCategory.InvalidArgument, detail,
        "Use an http(s):// URL, mailto:address (with -SmtpServer), or the absolute path of a program.", string.Join(", ", targets));

    /// <summary>One database of a job failed; <paramref name="errorId"/> is the step's own (BackupFailed, RestoreTestFailed...).</summary>
    public static SqliteBackupException JobDatabaseFailed(string? errorId, string database, string? detail, string logFile) => new(
        errorId ?? "BackupJobFailed", BackupErrorCategory.InvalidResult,
        $"The backup job failed for '{database}': {detail}",
        $"See the backup log {logFile} (Get-SqliteBackupLog).", database);

    public static SqliteBackupException RestoreTestFailed(string backupPath, string detail) => new(
        "RestoreTestFailed", BackupErrorCategory.InvalidResult,
        $"the restore test of {backupPath} failed: {detail}",
        "Do not rely on this backup: run Test-SqliteBackup -VerificationLevel Full on it and on the newer backups, and check the source database.", backupPath);

    public static SqliteBackupException BackupJobAlreadyRunning(string backupDirectory, string holder, Exception inner) => new(
        "BackupJobAlreadyRunning", BackupErrorCategory.ResourceBusy,
        $"Another backup job{holder} is running on '{backupDirectory}'; this run did nothing.",
        "Wait for it to finish. A lock held by a process that was killed is released by the operating system.", backupDirectory, inner);

    public static SqliteBackupException InvalidBackupConfig(string path, string problem) => new(
        "InvalidBackupConfig", BackupErrorCategory.InvalidData,
        $"The backup configuration '{path}' is invalid: {problem}",
        "Fix the value in the file (New-SqliteBackupConfig writes a valid one), then run Get-SqliteBackupConfig to check it.", path);

    public static SqliteBackupException UntrustedBackupConfig(string path, string problem) => new(
        "UntrustedBackupConfig", BackupErrorCategory.SecurityError,
        $"The backup configuration '{path}' is not trusted: {problem}. Whoever can change it decides which programs the job runs and what it deletes; nothing was done.",
        "Make it owned by root or by the account that runs the job, writable only by its owner (chown, chmod go-w), or run the job as the file's owner.", path);

    public static SqliteBackupException UntrustedNotifyProgram(string program, string problem) => new(
        "UntrustedNotifyProgram", BackupErrorCategory.SecurityError,
        $"The notification program '{program}' was not run: {problem}.",
        "Make it owned by root or by the account that runs the backup, writable only by its owner (chown, chmod go-w), in a folder only they can write.", program);

    public static SqliteBackupException BackupConfigNotFound(string path) => new(
        "BackupConfigNotFound", BackupErrorCategory.ObjectNotFound,
        $"The backup configuration '{path}' does not exist.", "Create one with New-SqliteBackupConfig.", path);

    public static SqliteBackupException BackupConfigExists(string path, string section) => new(
        "BackupConfigExists", BackupErrorCategory.ResourceExists,
        $"'{path}' already has a \"{section}\" section.", "Add -Force to replace that section (the rest of the file is kept).", path);

    public static SqliteBackupException InvalidSchedule(string? name, Exception inner) => new(
        "InvalidSchedule", BackupErrorCategory.InvalidArgument, inner.Message,
        "Check -Cron, -At, -DaysOfWeek and -Name; on Windows use -Daily, -Weekly or -Hourly.", name, inner);

    public static SqliteBackupException ScheduleNotFound(string name, object scheduler) => new(
        "ScheduleNotFound", BackupErrorCategory.ObjectNotFound,
        $"There is no backup schedule named '{name}' in {scheduler}.", "List them with Get-BackupSchedule.", name);

    public static SqliteBackupException SchedulerNotAvailable(string program, Exception inner) => new(
        "SchedulerNotAvailable", BackupErrorCategory.ResourceUnavailable,
        $"'{program}' could not be started: {inner.Message}", "Install the scheduler, or choose another with -Scheduler.", program, inner);

    public static SqliteBackupException TimeoutProgramNotFound() => new(
        "SchedulerNotAvailable", BackupErrorCategory.ResourceUnavailable,
        "coreutils' timeout program was not found; it bounds how long a backup may hold up a service's stop.", "Install coreutils.", "timeout");

    public static SqliteBackupException SchedulerTimedOut(string commandLine, string program, int seconds) => new(
        "SchedulerTimedOut", BackupErrorCategory.OperationTimeout,
        $"'{commandLine}' did not finish in {seconds} s.", "Check the scheduler service.", program);

    public static SqliteBackupException SchedulerCommandFailed(string commandLine, string program, int exitCode, string error, string recommendedAction) => new(
        "SchedulerCommandFailed", BackupErrorCategory.InvalidOperation,
        $"'{commandLine}' failed (exit {exitCode}): {error.Trim()}", recommendedAction, program);

    public static SqliteBackupException RestoreTargetIsDirectory(string path) => new(
        "RestoreTargetIsDirectory", BackupErrorCategory.InvalidArgument,
        $"The restore destination '{path}' is a directory.",
        "Pass the path of the database file to restore into, e.g. -Destination ./app.db.", path);

    public static SqliteBackupException RestoreTargetExists(string path) => new(
        "RestoreTargetExists", BackupErrorCategory.ResourceExists,
        $"The restore destination '{path}' already exists.",
        "Add -Force to replace it; a PreRestore backup of the current database is taken first.", path);

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

    // ---- Checks that could not run (issue 8, section 2): inconclusive, never "failed" ----------------------------

    /// <summary>
    /// A verification that could not run, under the ErrorId of its real cause (DiskFull, PermissionDenied, StorageIOError,
    /// else VerificationInconclusive). It says nothing against the backup, and the message says so.
    /// </summary>
    public static SqliteBackupException CheckCouldNotRun(string backupPath, string check, InconclusiveCause cause, string detail,
        string? scratch, long rawSize, Exception? inner = null)
    {
        string where = scratch == null ? "" : $" (scratch folder '{scratch}')";
        string room = rawSize > 0 ? $" ({HumanSize.Format(rawSize)} for the decompressed database)" : "";
        string prefix = $"Could not verify '{backupPath}': {check} could not run";
        const string NotEvidence = " This says nothing against the backup itself.";
        const string Scratch = "-ScratchPath (scratch_directory in a job configuration)";
        return cause switch
        {
            InconclusiveCause.DiskFull => new("DiskFull", BackupErrorCategory.ResourceUnavailable,
                $"{prefix} because the disk ran out of space{where}: {detail}.{NotEvidence}",
                $"Free space there{room}, or pass {Scratch} to a folder with room, then verify again.", scratch ?? backupPath, inner),
            InconclusiveCause.PermissionDenied => new("PermissionDenied", BackupErrorCategory.PermissionDenied,
                $"{prefix} for lack of permission{where}: {detail}.{NotEvidence}",
                $"Run as an account that can read the backup and write the scratch folder, or pass {Scratch} to a folder it can write, then verify again.",
                scratch ?? backupPath, inner),
            InconclusiveCause.IOError => new("StorageIOError", BackupErrorCategory.ReadError,
                $"{prefix} because of an I/O error{where}: {detail}.{NotEvidence}",
                "Check the disk or share holding the backup and the scratch folder (dmesg, mount), then verify again.", backupPath, inner),
            _ => new("VerificationInconclusive", cause == InconclusiveCause.OutOfMemory ? BackupErrorCategory.ResourceUnavailable : BackupErrorCategory.InvalidOperation,
                $"{prefix} ({cause}){where}: {detail}.{NotEvidence}",
                "Fix the cause named above, then verify again.", backupPath, inner),
        };
    }

    /// <summary>A new backup whose verification could not run is not kept: it would be a backup nobody checked.</summary>
    public static SqliteBackupException NewBackupNotVerified(SqliteBackupException cause) => new(
        cause.ErrorId, cause.Category,
        $"The new backup was removed, and nothing was published, because its verification could not run. {cause.Message}",
        cause.RecommendedAction.Replace("then verify again", "then take the backup again", StringComparison.Ordinal), cause.Target, cause);

    /// <summary>The tripwire behind the file-read snapshot: it must never fire, and if it does nothing is published.</summary>
    public static SqliteBackupException SnapshotMoved(string path, Exception? inner = null) => new(
        "SnapshotMoved", BackupErrorCategory.InvalidResult,
        $"A checkpoint wrote to '{path}' while it was being read, although our read transaction should have held it back; the copy was discarded and no backup was written.",
        "Take the backup again. If this repeats, report it with the SQLite version and file system: something in this process may have dropped SQLite's locks.", path, inner);
    // Trust (issue 8, section 3): only our own files, in a directory we trust.
    public static SqliteBackupException InsecureBackupDirectory(string directory, string problem) => new(
        "InsecureBackupDirectory", BackupErrorCategory.SecurityError,
        $"Refusing to use '{directory}': {problem}. Anyone who can write there can plant backups that rotation and restore would trust, or symlinks that this command would follow. Nothing was read or changed.",
        $"Make it writable only by its owner (chmod go-w '{directory}') or use a private directory. To proceed anyway, add -AllowInsecureDirectory (\"allow_insecure_directory\": true in a job configuration).", directory);

    public static SqliteBackupException UntrustedBackupFile(string manifestPath, string problem) => new(
        "UntrustedBackupFile", BackupErrorCategory.SecurityError,
        $"'{manifestPath}' is not a manifest of a backup in this directory: {problem}. Nothing was read, restored or deleted.",
        "A manifest may only describe the backup file whose name it carries ('<file>.manifest.json'), a regular file owned by you, root or the directory's owner. Remove the stray file if you did not create it.", manifestPath);

    public static SqliteBackupException UnsafeFileLink(string path, string what) => new(
        "UnsafeFileLink", BackupErrorCategory.SecurityError,
        $"'{path}' is {what}; it was not opened, so nothing it points to was written.",
        "Delete it (it is not one of ours) and run the command again; check who could write to that folder.", path);

    public static SqliteBackupException RestoreTargetIsSymlink(string path, string linkTarget) => new(
        "RestoreTargetIsSymlink", BackupErrorCategory.SecurityError,
        $"The restore destination '{path}' is a symbolic link to '{linkTarget}'; it was not followed and nothing was changed.",
        "Pass the real database path as -Destination, or add -FollowSymlink to restore into the file the link points to (the link itself is kept).", path);

    public static SqliteBackupException RestoreInProgress(string path) => new(
        "RestoreInProgress", BackupErrorCategory.ResourceBusy,
        $"Another restore to '{path}' is running; this one did nothing.",
        "Wait for it to finish. A restore that was killed releases its lock with its process.", path);

    public static SqliteBackupException OrphanNotRegistered(string path, string detail) => new(
        "OrphanNotRegistered", BackupErrorCategory.InvalidData,
        $"The backup file '{path}' has no manifest and was not registered: {detail}",
        "Run Test-SqliteBackup -VerificationLevel Standard or Full on it (from Get-SqliteBackup -IncludeOrphans); only a file that passes is registered. Restore needs a registered backup.", path);
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
        "Point the backup directory (-BackupPath, or backup_directory in the configuration) at a directory, or move the file out of the way.", path);

    public static SqliteBackupException SmtpPlainTextAuthRefused(string server) => new(
        "SmtpPlainTextAuthRefused", BackupErrorCategory.SecurityError,
        $"The SMTP login to {server} was not attempted: the connection is not encrypted (no TLS, or the server offers no STARTTLS), so the password would travel in clear text. No password was sent and no mail either.",
        "Use TLS: -SmtpSecurity StartTls (port 587) or Tls (port 465), smtp_security in the configuration. Only if the path to the server is trusted (e.g. a relay on localhost), allow it explicitly with -SmtpAllowPlainTextAuth or \"smtp_allow_plaintext_auth\": true (SmtpSettings.AllowPlainTextAuth).", server);
    // ---- Failures that must fail one thing only, and messages that name the real problem (issue 9, items 1, 2, 13, 17) ----

    /// <summary>Anything unexpected in one database's step of a job: that database fails, the job goes on.</summary>
    public static SqliteBackupException JobStepFailed(string database, string step, Exception e) => e switch
    {
        UnauthorizedAccessException => new("PermissionDenied", BackupErrorCategory.PermissionDenied,
            $"The backup job could not {step} for '{database}': {e.Message}",
            "Give the account that runs the job the right to change that file (check its permissions and immutable/read-only attributes: lsattr, chattr -i), then run the job again.", database, e),
        IOException => new("StorageIOError", BackupErrorCategory.WriteError,
            $"The backup job could not {step} for '{database}': {e.Message}",
            "Check the disk or share holding the backups (free space, dmesg, mount), then run the job again.", database, e),
        _ => new("BackupJobStepFailed", BackupErrorCategory.InvalidOperation,
            $"The backup job could not {step} for '{database}': {e.GetType().Name}: {e.Message}",
            "See the backup log (Get-SqliteBackupLog -Level Warning) for what happened before, fix the cause, then run the job again.", database, e),
    };

    public static SqliteBackupException DatabasePathIsDirectory(string path) => new(
        "DatabasePathIsDirectory", BackupErrorCategory.InvalidArgument,
        $"'{path}' is a directory, not a database file.",
        $"Pass the database file itself, for example '{Path.Combine(path, "app.db")}', or back up every database in it with Get-ChildItem '{path}' -Filter *.db | New-SqliteBackup.", path);

    /// <summary>A file where a backup directory was expected; a database file gets a hint at the command the user meant.</summary>
    public static SqliteBackupException BackupPathIsFile(string path, bool isDatabase) => isDatabase
        ? BackupPathIsDatabase(path, "a backup directory")
        : new("BackupPathIsFile", BackupErrorCategory.InvalidArgument,
            $"'{path}' is a file, not a backup directory.",
            "Pass the folder that holds the backups (by default 'backups' beside the database).", path);

    /// <summary>A folder where one backup was expected (Test-, Restore-, Remove-SqliteBackup -Path).</summary>
    public static SqliteBackupException BackupPathIsDirectory(string path) => new(
        "BackupPathIsDirectory", BackupErrorCategory.InvalidArgument,
        $"'{path}' is a directory, not a backup.",
        $"Pipe the backups it holds instead, for example: Get-SqliteBackup '{path}' | Test-SqliteBackup.", path);

    /// <summary>A live database where a backup or a backup directory was expected.</summary>
    public static SqliteBackupException BackupPathIsDatabase(string path, string expected = "a backup") => new(
        "BackupPathIsDatabase", BackupErrorCategory.InvalidArgument,
        $"'{path}' is a database file, not {expected}.",
        $"To list its backups, run Get-SqliteBackup -Database {BackupNaming.DatabaseName(path)} from the folder that holds its 'backups' folder, or pass that folder: Get-SqliteBackup '{Path.Combine(Path.GetDirectoryName(path) ?? ".", "backups")}'.", path);

    public static SqliteBackupException NotABackupLog(string path) => new(
        "NotABackupLog", BackupErrorCategory.InvalidData,
        $"'{path}' is not a backup log: none of its lines is a backup log entry.",
        $"Pass the backup directory or the log file it holds ({Logging.JsonLinesLog.DefaultFileName}), or the file named by the configuration's log_file.", path);

    // ---- issue 9, restore must never surprise ------------------------------------------------------------------

    public static SqliteBackupException RestoreSeveralBackupsForOneTarget(string target, IEnumerable<string> backups) => new(
        "RestoreSeveralBackupsForOneTarget", BackupErrorCategory.InvalidArgument,
        $"Several backups were given for one target '{target}' ({string.Join(", ", backups)}); each would overwrite the one before, so nothing was restored.",
        "Pick one backup per target, e.g. Get-SqliteBackup -Database <name> -Latest 1, or restore each backup to the database it was taken from with -ToSourcePath.", target);

    public static SqliteBackupException RestoreTargetAmbiguous() => new(
        "RestoreTargetAmbiguous", BackupErrorCategory.InvalidArgument,
        "Say where to restore: give either -Destination <file> or -ToSourcePath (each backup back to the database it was taken from), not both and not neither. Nothing was restored.",
        "Add -Destination ./app.db, or -ToSourcePath.", null);

    public static SqliteBackupException PreRestoreOptionsConflict() => new(
        "PreRestoreOptionsConflict", BackupErrorCategory.InvalidArgument,
        "-PreRestorePath says where the PreRestore backup goes and -NoPreRestoreBackup says to take none; give one of them. Nothing was restored.",
        "Drop -NoPreRestoreBackup to keep the current database in -PreRestorePath, or drop -PreRestorePath to replace it without a PreRestore backup.", null);

    public static SqliteBackupException PreRestoreLocationNotWritable(string directory, string target) => new(
        "PreRestoreLocationNotWritable", BackupErrorCategory.PermissionDenied,
        $"The PreRestore backup of '{target}' cannot be written to '{directory}' (read-only, or no permission to create files there). Nothing was changed.",
        "Choose a writable folder with -PreRestorePath, or skip the PreRestore backup explicitly with -NoPreRestoreBackup.", directory);

    public static SqliteBackupException RestoreWalPageSizeMismatch(string target, long targetPageSize, long backupPageSize, Exception? inner) => new(
        "RestoreWalPageSizeMismatch", BackupErrorCategory.ResourceBusy,
        $"'{target}' is a WAL database with {targetPageSize}-byte pages and the backup has {backupPageSize}-byte pages. SQLite cannot change the page size of a WAL database in place, and switching it out of WAL mode first needs every other connection to it closed, which they are not. Nothing was changed and no PreRestore backup was taken.",
        "Stop the application that has the database open and restore again, or restore into a new file (-Destination) and swap it in while the application is stopped.", target, inner);

    // ---- issue 9, paths and wildcards -----------------------------------------------------------------------------

    public static SqliteBackupException PathWildcardNoMatch(string pattern) => new(
        "PathWildcardNoMatch", BackupErrorCategory.ObjectNotFound,
        $"Nothing matches '{pattern}'.",
        "Check the pattern with Get-ChildItem. For a name that really contains wildcard characters ([ ] * ?), use -LiteralPath.", pattern);

    public static SqliteBackupException PathNotOnFileSystem(string path, string provider) => new(
        "PathNotOnFileSystem", BackupErrorCategory.InvalidArgument,
        $"'{path}' is on the {provider} provider, not the file system; databases and backups are files.",
        "Give a file-system path, such as ./app.db or /var/backups.", path);

    // ---- issue 10, backups around the application's own events --------------------------------------------------

    public static SqliteBackupException GuardBackupFailed(string database, string operation, SqliteBackupException cause) => new(
        "GuardBackupFailed", cause.Category,
        $"Not run: {operation}. The backup of '{database}' before it failed ({cause.ErrorId}): {cause.Message}",
        "Nothing was changed by the operation. Fix the backup first (" + cause.RecommendedAction + "), then run the operation again.", database, cause);

    public static SqliteBackupException SchemaNotChanged(string database, string operation, string change) => new(
        "SchemaNotChanged", BackupErrorCategory.InvalidResult,
        $"The schema of '{database}' was not changed by {operation}, which completed; -ExpectSchemaChange said it would change it ({change}).",
        "Check that the migration really ran against this database (a wrong path creates or edits another file); the backup taken before it is kept. Drop -ExpectSchemaChange for operations that change only data.", database);

    public static SqliteBackupException JobTimedOut(string database, TimeSpan limit, Exception? cause) => new(
        "BackupJobTimedOut", BackupErrorCategory.OperationTimeout,
        $"The backup of '{database}' was abandoned: the job's time limit of {(int)limit.TotalSeconds} s ran out" + (cause != null ? $" ({cause.Message})" : "") + ". Nothing partial was left behind.",
        "A backup on a service's stop must fit its bound: raise -StopTimeoutSec (and the unit's TimeoutStopSec) or take the backup on a schedule instead; check the backup log for what held it up (a lock held by another process, a slow disk).", database, cause);

    public static SqliteBackupException ServiceStopNotSupported(string scheduler, string service) => new(
        "ServiceStopNotSupported", BackupErrorCategory.InvalidOperation,
        $"{scheduler} cannot run a backup when the service '{service}' stops: it has no trigger for another program's stop. Nothing was registered.",
        "Run the job from the service's own stop step instead (a launchd daemon's wrapper script after the program exits, an rc script's stop()): " +
        "pwsh -NoProfile -NonInteractive -File <module folder>/Start-SqliteBackupJob.ps1 -ConfigPath <file> -Type Shutdown -TimeoutSec 45. " +
        "On Linux with systemd running use -Scheduler Systemd; on Windows, Task Scheduler.", service);

    // ---- issue 11, remote stores (S3 and the back ends after it) ----------------------------------------------

    /// <summary>The service refused who we are or what we asked: unknown key, wrong secret, no permission, no credentials.</summary>
    public static SqliteBackupException StoreAccessDenied(string location, string detail, Exception? inner = null) => new(
        "StoreAccessDenied", BackupErrorCategory.PermissionDenied,
        $"Access to {location} was refused: {detail}.",
        "Check the credentials the store uses (for S3: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared credentials file) and that they may list, read, write and delete under that prefix.", location, inner);

    public static SqliteBackupException StoreLocationNotFound(string location, string what, Exception? inner = null) => new(
        "StoreLocationNotFound", BackupErrorCategory.ObjectNotFound,
        $"{location} does not exist: {what}. Nothing was read or written.",
        "Check the name in the location and the endpoint/region it is looked up in; an S3 bucket is not created by this module (create it with the service's own tools, with Object Lock on if backups should be immutable).", location, inner);

    public static SqliteBackupException StoreUnavailable(string location, string detail, Exception? inner = null) => new(
        "StoreUnavailable", BackupErrorCategory.ResourceUnavailable,
        $"{location} could not be reached: {detail}. Requests were retried with backoff before giving up.",
        "Check the network path and the endpoint (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or ?endpoint= in the location), then run again; the next run cleans up what this one left.", location, inner);

    public static SqliteBackupException StoreRequestFailed(string location, string detail, Exception? inner = null) => new(
        "StoreRequestFailed", BackupErrorCategory.InvalidOperation,
        $"A request to {location} failed: {detail}.",
        "The service refused the request for a reason other than access or availability; the inner exception has its answer. Run again after checking the location's settings (versioning, object lock, quotas).", location, inner);

    public static SqliteBackupException StoreLocationInvalid(string location, string why) => new(
        "StoreLocationInvalid", BackupErrorCategory.InvalidArgument,
        $"'{location}' is not a usable store location: {why}.",
        "Write it as s3://bucket/prefix, optionally with ?endpoint=http://host:port&region=name for an S3-compatible server, lock-mode=governance|compliance for Object Lock and abort-uploads-after=24h for the age of unfinished uploads a run cleans up.", location);

    // ---- issue 9, hardening (fix9) ------------------------------------------------------------------------------

    public static SqliteBackupException CopyDestinationMissing(IEnumerable<string> paths) => new(
        "CopyDestinationMissing", BackupErrorCategory.InvalidArgument,
        $"Copy-SqliteBackup was given {string.Join(", ", paths)} but no destination. Nothing was copied.",
        "Name the backups and then the destination: Copy-SqliteBackup ./backups/app_x.db.zst s3://bucket/prefix, or pipe them in: Get-SqliteBackup ./backups | Copy-SqliteBackup s3://bucket/prefix.", string.Join(", ", paths));

    // ---- issue 10 fixes (guard and stop backups) ----------------------------------------------------------------

    public static SqliteBackupException GuardedOperationExitCode(string operation, int exitCode) => new(
        "GuardedOperationExitCode", BackupErrorCategory.InvalidResult,
        $"{operation} failed: it ended with exit code {exitCode} ($LASTEXITCODE), the way a script's 'exit {exitCode}' or a native program reports failure.",
        "Check the operation's own output for why it failed. Without -RestoreOnFailure the database is as it left it; the backup taken before it is kept.");

    public static SqliteBackupException StopTimeoutTooShort(string service, int seconds) => new(
        "StopTimeoutTooShort", BackupErrorCategory.InvalidArgument,
        $"A backup on the stop of {service} cannot work within {seconds} s: pwsh and the module take 3-7 s to start, and the job needs time to back up and 5 s to log and alert that it gave up before timeout kills it. Nothing was registered.",
        $"Give -StopTimeoutSec (or the service's \"stop_timeout_sec\") {Jobs.ServiceStopConfig.MinimumStopTimeoutSec} or more, and keep the unit's TimeoutStopSec above it.", service);

    public static SqliteBackupException SchemaUnreadable(string database, string operation, Exception cause) => new(
        "SchemaUnreadable", BackupErrorCategory.InvalidResult,
        $"{operation} completed, but the schema of '{database}' could not be read after it ({cause.Message}); -ExpectSchemaChange counts that as a failure, not as a change.",
        "The database was overwritten, removed or damaged by the operation. With -RestoreOnFailure it was restored from the backup taken before it; otherwise restore that backup with Restore-SqliteBackup.", database, cause);

    /// <summary>InvalidSchedule for a registration on a service's stop, whose advice is about -Service, not the calendar.</summary>
    public static SqliteBackupException InvalidServiceStop(string? name, Exception inner) => new(
        "InvalidSchedule", BackupErrorCategory.InvalidArgument, inner.Message,
        "Check -Service (a systemd unit such as app.service or worker@1.service; on Windows the service's display name), -StopTimeoutSec and -Name.", name, inner);

    // ---- issue 11, Azure Blob store: the S3 store's ErrorIds, with Azure's advice --------------------------------

    public static SqliteBackupException AzureAccessDenied(string location, string detail, Exception? inner = null) => new(
        "StoreAccessDenied", BackupErrorCategory.PermissionDenied,
        $"Access to {location} was refused: {detail}.",
        "Check the Azure credentials (the first one set is used: AZURE_STORAGE_CONNECTION_STRING; AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY; AZURE_STORAGE_SAS_TOKEN) and that they may list, read, write and delete blobs in that container.", location, inner);

    public static SqliteBackupException AzureContainerNotFound(string location, string what, Exception? inner = null) => new(
        "StoreLocationNotFound", BackupErrorCategory.ObjectNotFound,
        $"{location} does not exist: {what}. Nothing was read or written.",
        "Check the account, the container name and the endpoint. Commands that write (New-SqliteBackup, Copy-SqliteBackup, a job) create a missing container when their credentials may; create it with az storage container create otherwise.", location, inner);

    public static SqliteBackupException AzureUnavailable(string location, string detail, Exception? inner = null) => new(
        "StoreUnavailable", BackupErrorCategory.ResourceUnavailable,
        $"{location} could not be reached: {detail}. Requests were retried with backoff before giving up.",
        "Check the network path and the endpoint (the account's, BlobEndpoint in AZURE_STORAGE_CONNECTION_STRING, or ?endpoint= in the location), then run again.", location, inner);

    public static SqliteBackupException AzureLocationInvalid(string location, string why) => new(
        "StoreLocationInvalid", BackupErrorCategory.InvalidArgument,
        $"'{location}' is not a usable store location: {why}.",
        "Write it as azure://account/container/prefix (optionally ?endpoint=http://host:port/account), or as a container URL: azure+https://account.blob.core.windows.net/container/prefix.", location);

    // ---- issue 11, S3 trust (s3x) -------------------------------------------------------------------------------

    public static SqliteBackupException StoreObjectLocked(string location, string name, DateTime? retainUntilUtc, Exception? inner = null, string lockName = "Object Lock") => new(
        "StoreObjectLocked", BackupErrorCategory.PermissionDenied,
        $"{location} refused to delete '{name}': it is under {lockName}{(retainUntilUtc is { } d ? $" until {d:yyyy-MM-dd HH:mm:ss} UTC" : "")}. The backup is still there and still listed.",
        "Nothing to do: the lock keeps the backup as long as retention needed it when it was written, and rotation removes it on a run after that date. Only an account allowed to bypass governance retention can remove it sooner (never under compliance mode).", location, inner);

    // ---- issue 11, credentials and job destinations (cred) -------------------------------------------------------

    public static SqliteBackupException StoreCredentialMissing(string location, string variable) => new(
        "StoreCredentialMissing", BackupErrorCategory.PermissionDenied,
        $"The credential for {location} is to come from the environment variable {variable}, which is not set in this job's environment. Nothing was sent to {location}.",
        $"Set {variable} for the account that runs the job (a systemd EnvironmentFile=, a variable line in the crontab, the Windows task's user environment), or change the destination's credential in the job configuration.", location);

    // ---- issue 11, SFTP store (sftp branch) ---------------------------------------------------------------------

    public static SqliteBackupException StoreHostKeyUnknown(string location, string hostName, string keyType, string fingerprint, string knownHostsFile, string otherTypes) => new(
        "StoreHostKeyUnknown", BackupErrorCategory.SecurityError,
        $"{location} was not contacted further: the server's host key ({keyType} {fingerprint}) is not in {knownHostsFile} for {hostName}{otherTypes}. An unknown key is never trusted silently.",
        $"Compare {fingerprint} with the server's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub, run on the server), then add it: ssh-keyscan -p {PortOf(hostName)} {HostOf(hostName)} >> {knownHostsFile} (SQLITEBACKUP_SFTP_KNOWN_HOSTS names another file).", location);

    public static SqliteBackupException StoreHostKeyChanged(string location, string hostName, string keyType, string fingerprint, string knownHostsFile) => new(
        "StoreHostKeyChanged", BackupErrorCategory.SecurityError,
        $"{location} was not contacted further: the server's host key ({keyType} {fingerprint}) is not the one {knownHostsFile} holds for {hostName}, or it is revoked there. Someone may be intercepting the connection, or the server's key was replaced.",
        $"Find out why the key changed before anything else. If the server was really re-keyed, remove the old entry (ssh-keygen -R '{hostName}' -f {knownHostsFile}) and add the new one after checking its fingerprint.", location);

    static string HostOf(string hostName) => hostName.StartsWith('[') ? hostName[1..hostName.IndexOf(']')] : hostName;
    static string PortOf(string hostName) => hostName.StartsWith('[') ? hostName[(hostName.IndexOf("]:", StringComparison.Ordinal) + 2)..] : "22";

    // ---- issue 11, remote copies repaired and remote orphans (fixcopy) -------------------------------------------

    public static SqliteBackupException RemoteOrphanNotRegistered(string path) => new(
        "RemoteOrphanNotRegistered", BackupErrorCategory.InvalidOperation,
        $"'{path}' is a backup object without a manifest (an orphan) in a remote location; nothing vouches for its contents, and orphans are registered only in a local directory. Nothing was done with it.",
        "Copy the object into a local backup directory with your storage tool (aws s3 cp, azcopy, sftp) and run Test-SqliteBackup -VerificationLevel Standard on it there (it is registered if it passes), or remove it: Get-SqliteBackup <location> -IncludeOrphans | Remove-SqliteBackup.", path);

    public static SqliteBackupException OrphanNotRemoved(string path, string detail) => new(
        "OrphanNotRemoved", BackupErrorCategory.InvalidOperation,
        $"'{path}' was not removed: {detail}",
        "List the location again (Get-SqliteBackup <location> -IncludeOrphans) and act on what it shows now.", path);

    // ---- issue 11 fixes (fixmsg): SFTP's advice for the store ErrorIds; what an interrupted upload left -----------

    public static SqliteBackupException SftpAccessDenied(string location, string detail, Exception? inner = null) => new(
        "StoreAccessDenied", BackupErrorCategory.PermissionDenied,
        $"Access to {location} was refused: {detail}.",
        "Check the user in the location, the key file (SQLITEBACKUP_SFTP_IDENTITY, else ~/.ssh/id_ed25519, id_ecdsa or id_rsa; its passphrase in SQLITEBACKUP_SFTP_PASSPHRASE or the credential), that its public half is in the server's authorized_keys, and that the user may list, read, write, rename and delete in that directory.", location, inner);

    public static SqliteBackupException SftpLocationNotFound(string location, string what, Exception? inner = null) => new(
        "StoreLocationNotFound", BackupErrorCategory.ObjectNotFound,
        $"{location} does not exist: {what}. Nothing was read or written.",
        "Check the server path in the location (absolute on the server; /~/path is under the login directory). Commands that write (New-SqliteBackup, Copy-SqliteBackup, a job) create a missing directory when the user may; create it on the server otherwise.", location, inner);

    public static SqliteBackupException SftpUnavailable(string location, string detail, Exception? inner = null) => new(
        "StoreUnavailable", BackupErrorCategory.ResourceUnavailable,
        $"{location} could not be reached: {detail}.",
        "Check the network path, the host and port in the location and that sshd runs there, then run again; the next run cleans up what this one left.", location, inner);

    public static SqliteBackupException SftpRequestFailed(string location, string detail, Exception? inner = null) => new(
        "StoreRequestFailed", BackupErrorCategory.InvalidOperation,
        $"A request to {location} failed: {detail}.",
        "The SSH server refused the request for a reason other than access or availability; the inner exception has its answer. Check the server's SFTP subsystem, disk space and quotas, then run again.", location, inner);

    public static SqliteBackupException SftpLocationInvalid(string location, string why) => new(
        "StoreLocationInvalid", BackupErrorCategory.InvalidArgument,
        $"'{location}' is not a usable store location: {why}.",
        "Write it as sftp://user@host:port/absolute/path or sftp://user@host/~/path (under the login directory), with ?fsync=true to have every object flushed to the server's disk; the server's key must be in known_hosts (SQLITEBACKUP_SFTP_KNOWN_HOSTS names another file) and the login uses a key file (SQLITEBACKUP_SFTP_IDENTITY).", location);

    /// <summary>A store that became unreachable while an upload was under way: the same error, saying what became of the upload.</summary>
    public static SqliteBackupException UploadAbandoned(SqliteBackupException unavailable) => new(
        unavailable.ErrorId, unavailable.Category,
        unavailable.Message + " The upload that was under way was abandoned and left no object.",
        unavailable.RecommendedAction, unavailable.Target, unavailable.InnerException);

    /// <summary>
    /// A write the SFTP server refused with its generic failure while the file system holding the location had no room
    /// left (statvfs@openssh.com): SFTP version 3, which OpenSSH speaks, has no code for a full disk.
    /// </summary>
    public static SqliteBackupException StoreFull(string location, string name, string room, Exception inner) => new(
        "StoreFull", BackupErrorCategory.ResourceUnavailable,
        $"The server's file system holding {location} is full ({room}): writing '{name}' was refused. It was not written: its temporary was removed (or the first run an hour later removes it), and nothing already there was changed.",
        "Free space on the server (Invoke-BackupRotation on the location removes old backups; Get-SqliteBackup <location> -IncludeOrphans lists data objects a failed copy left without a manifest), or raise the account's quota, then run again.", location, inner);

    /// <summary>The connection failed once the object was sent whole and its rename into place asked for: whether it is there is unknown.</summary>
    public static SqliteBackupException UploadUnanswered(SqliteBackupException unavailable, string name) => new(
        unavailable.ErrorId, unavailable.Category,
        unavailable.Message + $" '{name}' had been sent whole and its rename into place asked for when the connection failed: it may be there, and a later copy or listing finds it and checks it before it counts.",
        unavailable.RecommendedAction, unavailable.Target, unavailable.InnerException);

    /// <summary>The job's time limit ran out while a backup, already written and verified, was being copied off-site.</summary>
    public static SqliteBackupException DestinationTimedOut(string backup, string destination, TimeSpan limit) => new(
        "DestinationTimedOut", BackupErrorCategory.OperationTimeout,
        $"The backup {backup} was written, verified and kept, but its copy to {destination} was stopped by the job's time limit of {(int)limit.TotalSeconds} s: {destination} does not have it.",
        $"Check why {destination} is slow or does not answer, or raise the limit (-TimeoutSec, -StopTimeoutSec). The next run copies what {destination} lacks when keep_local_until_copied is on; otherwise copy it now with Copy-SqliteBackup.", destination);

    // ---- issue 12 (repo-core): the incremental repository -------------------------------------------------------------

    public static SqliteBackupException RepositoryConfigInvalid(string location, string problem) => new(
        "RepositoryConfigInvalid", BackupErrorCategory.InvalidData,
        $"The repository config '{Repository.RepositoryNames.Config}' in {location} cannot be used: {problem}. Nothing was written.",
        "If a newer module version made it, update the module. If it is damaged, restore it from a copy: its id and block size must stay as they were; the snapshots in the repository depend on them.", location + "/" + Repository.RepositoryNames.Config);

    public static SqliteBackupException RepositoryBlockSizeInvalid(int blockSize) => new(
        "RepositoryBlockSizeInvalid", BackupErrorCategory.InvalidArgument,
        $"-BlockSize {blockSize} is not a power of two between {Repository.RepositoryConfig.MinBlockSize} and {Repository.RepositoryConfig.MaxBlockSize}.",
        $"Leave -BlockSize out (the default is {Repository.RepositoryConfig.DefaultBlockSize}) or choose a power of two such as 4096, 16384 or 65536.");

    public static SqliteBackupException RepositoryBlockSizeMismatch(string location, int wanted, int actual) => new(
        "RepositoryBlockSizeMismatch", BackupErrorCategory.InvalidArgument,
        $"The repository in {location} uses blocks of {actual} bytes; -BlockSize {wanted} applies only when a repository is created. Nothing was written.",
        $"Leave -BlockSize out (or pass {actual}) for this repository, or back up incrementally into another location to use {wanted}.", location);

    public static SqliteBackupException RepositoryPackMissing(string location, string name, string? snapshot) => new(
        "RepositoryPackMissing", BackupErrorCategory.ObjectNotFound,
        $"'{name}' is missing from the repository in {location}{(snapshot == null ? "" : $"; the snapshot {snapshot} needs it")}.",
        "The snapshot cannot be restored from this repository. Restore another snapshot or a plain backup; run the repository check to see which snapshots are affected. The next incremental backup does not use a snapshot with missing packs as its parent.", location + "/" + name);

    public static SqliteBackupException RepositoryDamaged(string location, string name, string? snapshot, string problem) => new(
        "RepositoryDamaged", BackupErrorCategory.InvalidData,
        $"'{name}' in the repository in {location} is damaged: {problem}{(snapshot == null ? "" : $" (snapshot {snapshot})")}.",
        "The snapshot cannot be restored as it is. Restore another snapshot or a plain backup; run the repository check to see which snapshots are affected.", location + "/" + name);

    public static SqliteBackupException IncrementalNeedsZstd(Format.CompressionKind asked) => new(
        "IncrementalNeedsZstd", BackupErrorCategory.InvalidArgument,
        $"-Incremental stores every block compressed with zstd; -Compression {asked} cannot apply.",
        "Leave -Compression out (or pass Zstd) with -Incremental.");

    public static SqliteBackupException BlockSizeWithoutIncremental() => new(
        "BlockSizeWithoutIncremental", BackupErrorCategory.InvalidArgument,
        "-BlockSize applies only to -Incremental (the block size of a new repository); a plain backup has no blocks.",
        "Add -Incremental, or leave -BlockSize out.");

    // ---- issue 13, age encryption at rest: the age layer and keys (age) -------------------------------------------

    public static SqliteBackupException EncryptionWrongIdentity(string name, bool passphraseFile, int keyStanzas) => new(
        "EncryptionWrongIdentity", BackupErrorCategory.SecurityError,
        passphraseFile
            ? $"'{name}' is encrypted with a passphrase, and the passphrase given does not open it (or none was given). Nothing was read from it."
            : $"None of the identities given opens '{name}': it is encrypted to {keyStanzas} public key(s), none of which belongs to them. Nothing was read from it.",
        passphraseFile
            ? "Give the passphrase it was encrypted with (as a credential or secure string, or in the environment variable the job configuration names)."
            : "Give the identity file (or variable) holding the secret key of one of the recipients it was encrypted to; the backup's manifest lists their public keys, and each identity file names its own in its '# public key:' line.", name);

    public static SqliteBackupException EncryptionIdentityMissing(string name) => new(
        "EncryptionIdentityMissing", BackupErrorCategory.InvalidArgument,
        $"'{name}' is encrypted, and no identity or passphrase was given to open it. Nothing was read from it.",
        "Name an identity file or environment variable (or a passphrase) for this backup; Quick verification checks an encrypted backup's hash without one.", name);

    public static SqliteBackupException EncryptionIdentityFileMissing(string path) => new(
        "EncryptionIdentityMissing", BackupErrorCategory.ObjectNotFound,
        $"The identity file '{path}' does not exist.",
        "Check the path, or create a key with New-SqliteBackupKey -Path <file> (and keep a copy of it somewhere safe: without it the backups encrypted to its public key can not be read).", path);

    public static SqliteBackupException EncryptionIdentityVariableMissing(string variable) => new(
        "EncryptionIdentityMissing", BackupErrorCategory.ObjectNotFound,
        $"The environment variable {variable} that should hold the age identity is not set or is empty.",
        $"Set {variable} to the identity (the AGE-SECRET-KEY-1… line of an identity file) in the environment this runs in, or name an identity file instead.", variable);

    public static SqliteBackupException EncryptionIdentityFileUnreadable(string path, Exception inner) => new(
        "EncryptionIdentityUnreadable", BackupErrorCategory.PermissionDenied,
        $"The identity file '{path}' could not be read: {inner.Message}",
        "Run as the user who owns the identity file, or fix its permissions (chmod 600, owned by that user).", path, inner);

    // The message names the source and line, never the line itself: it may be a secret key with one character wrong.
    public static SqliteBackupException EncryptionIdentityInvalid(string source, int line, string why) => new(
        "EncryptionIdentityInvalid", BackupErrorCategory.InvalidData,
        line > 0 ? $"Line {line} of {source} is not a usable age identity: {why}." : $"{source} is not a usable age identity: {why}.",
        "An identity is the AGE-SECRET-KEY-1… line that New-SqliteBackupKey or age-keygen writes; lines starting with '#' are comments. Public keys (age1…) are recipients, not identities.", source);

    public static SqliteBackupException EncryptedDataDamaged(string name, string detail) => new(
        "EncryptedDataDamaged", BackupErrorCategory.InvalidData,
        $"'{name}' is not an intact age file: {detail}. Nothing of the damaged part was used.",
        "Do not restore from it. Pick another backup (Get-SqliteBackup) or another copy of this one (Copy-SqliteBackup keeps copies in other locations), and check the storage it came from.", name);

    public static SqliteBackupException EncryptionRecipientInvalid(string shown, string why) => new(
        "EncryptionRecipientInvalid", BackupErrorCategory.InvalidArgument,
        $"The recipient {shown} is not a valid age public key: {why}. Nothing was encrypted.",
        "A recipient is an age X25519 public key: 'age1' followed by 58 characters, as New-SqliteBackupKey or age-keygen prints it (the '# public key:' line of the identity file).", shown);

    public static SqliteBackupException EncryptionPassphraseEmpty() => new(
        "EncryptionPassphraseEmpty", BackupErrorCategory.InvalidArgument,
        "The passphrase is empty. Nothing was encrypted or decrypted.",
        "Give a non-empty passphrase (a PSCredential's password, a secure string, or the environment variable the job configuration names), or use an identity file.");

    public static SqliteBackupException EncryptionPassphraseNotAlone() => new(
        "EncryptionPassphraseNotAlone", BackupErrorCategory.InvalidArgument,
        "A passphrase can not be combined with public-key recipients: the age format allows a passphrase only as the one way to open a file. Nothing was encrypted.",
        "Use either recipients (one or more age1… public keys) or a passphrase, not both.");

    /// <summary>A warning, not thrown: the cmdlets surface it and carry on.</summary>
    public static SqliteBackupException EncryptionIdentityFileExposed(string path, UnixFileMode mode) => new(
        "EncryptionIdentityFileExposed", BackupErrorCategory.SecurityError,
        $"The identity file '{path}' may be read or changed by other users than its owner (mode {Convert.ToString((int)mode, 8)}): anyone who reads it can decrypt every backup encrypted to its public key.",
        $"Restrict it to its owner: chmod 600 '{path}'. If others may already have read it, make a new key (New-SqliteBackupKey) and encrypt new backups to that one.", path);

    public static SqliteBackupException EncryptionWorkFactorTooHigh(int workFactor, int max) => new(
        "EncryptionWorkFactorTooHigh", BackupErrorCategory.SecurityError,
        $"The passphrase's scrypt work factor is {workFactor} (2^{workFactor} iterations); at most {max} is accepted, because a larger one takes gigabytes of memory and minutes, which a forged file could use to stall the machine.",
        $"If the file is yours, decrypt it with the age program (age -d), which asks before such work, and encrypt it again with a work factor of at most {max}.");

    public static SqliteBackupException EncryptionIdentityFileExists(string path) => new(
        "EncryptionIdentityFileExists", BackupErrorCategory.ResourceExists,
        $"'{path}' already exists; it was left as it is, because replacing an identity makes every backup encrypted to its public key unreadable.",
        "Choose another path, or add -Force if you are sure nothing still needs the key it holds (the file is then replaced in one step).", path);

    public static SqliteBackupException EncryptionIdentityFileDirectoryMissing(string path) => new(
        "EncryptionIdentityFileDirectoryMissing", BackupErrorCategory.ObjectNotFound,
        $"The directory of '{path}' does not exist; no key was written.",
        "Create the directory first (readable by you only, for example mkdir -m 700), or choose another path.", path);

    public static SqliteBackupException EncryptionIdentityFileNotWritten(string path, Exception inner) => new(
        "EncryptionIdentityFileNotWritten", BackupErrorCategory.WriteError,
        $"The identity file '{path}' could not be written: {inner.Message}. No key was written.",
        "Choose a directory you can write to, or fix its permissions, then run again.", path, inner);

    // ---- issue 12 (repo-ops): repository locks, prune and check --------------------------------------------------------

    public static SqliteBackupException RepositoryLocked(string location, string host, int pid, string operation, DateTime sinceUtc, TimeSpan waited) => new(
        "RepositoryLocked", BackupErrorCategory.ResourceBusy,
        $"The repository in {location} is locked exclusively by {operation} (process {pid} on {host}, since {sinceUtc:yyyy-MM-dd HH:mm:ss} UTC); waited {waited.TotalSeconds:0} s. Nothing was written.",
        $"Run the backup again when that {operation} has finished (a prune usually takes minutes). If process {pid} on {host} is gone, its lock is removed automatically once it is 30 minutes old, or at once by a run on {host}.", location);

    public static SqliteBackupException RepositoryPruneRefused(string location, string manifest, string problem) => new(
        "RepositoryPruneRefused", BackupErrorCategory.InvalidData,
        $"No pack was deleted from the repository in {location}: the snapshot manifest '{manifest}' cannot be read ({problem}), so which packs it needs is unknown.",
        "Restore the manifest from a copy, or, if that snapshot is not needed, remove it (Remove-SqliteBackup), then rotate or prune again. Test-SqliteBackupRepository shows what else is affected.", location + "/" + manifest);

    public static SqliteBackupException RepositoryCheckFailed(string location, int problems, int snapshots) => new(
        "RepositoryCheckFailed", BackupErrorCategory.InvalidData,
        $"The repository in {location} has {problems} problem(s) affecting {snapshots} snapshot(s); each is listed in the output.",
        "The affected snapshots cannot be restored as they are: restore another snapshot or a plain backup, and take a new backup (New-SqliteBackup -Incremental writes the missing blocks again). Snapshots not listed are sound.", location);

    // ---- issue 12 (repo-copy): snapshots copied between repositories -------------------------------------------------

    public static SqliteBackupException RepositoryCopyIncompatible(string location, int blockSize, string hash, int sourceBlockSize, string sourceHash) => new(
        "RepositoryCopyIncompatible", BackupErrorCategory.InvalidArgument,
        $"The repository in {location} uses blocks of {blockSize} bytes named by {hash}; the snapshot comes from a repository with blocks of {sourceBlockSize} bytes named by {sourceHash}, so its packs cannot be shared there. Nothing was written.",
        "Copy it into another location (its repository is created with the source's block size), or export it as a plain backup with Copy-SqliteBackup -AsPlain.", location);

    // ---- issue 13, age encryption at rest: encrypted plain backups (age-int) ----------------------------------------

    public static SqliteBackupException BackupNotAuthentic(string name, string why) => new(
        "BackupNotAuthentic", BackupErrorCategory.SecurityError,
        $"'{name}' is not an authentic backup: {why}. Its contents were not used.",
        "Do not restore from it: anyone can encrypt a file to public keys, so only a manifest whose MAC verifies proves it was written by your key. Pick another backup or another copy of this one, and find out who wrote this one. If an offline recovery key is restoring, name the writer's public key as trusted (encryption.trusted_writers in the job configuration).", name);

    public static SqliteBackupException EncryptionWriterIdentityMissing() => new(
        "EncryptionWriterIdentityMissing", BackupErrorCategory.InvalidArgument,
        "-Recipient needs the writer's own identity (-IdentityFile or -IdentityVariable, or identity_file / identity_env in the job configuration): it signs each manifest so that a backup forged to the same public keys is refused. Nothing was written.",
        "Create a key with New-SqliteBackupKey -Path <file>, add its public key to the recipients, and name the file with -IdentityFile.");

    public static SqliteBackupException EncryptionOptionsConflict(string detail) => new(
        "EncryptionOptionsConflict", BackupErrorCategory.InvalidArgument,
        $"{detail} Nothing was written.",
        "Use either -Recipient (with -IdentityFile or -IdentityVariable) or -Passphrase; encryption needs one of them.");

    // ---- issue 11, immutability on Azure and on repositories (immut) -------------------------------------------------

    public static SqliteBackupException StoreImmutabilityUnavailable(string location, string why, Exception? inner = null) => new(
        "StoreImmutabilityUnavailable", BackupErrorCategory.InvalidOperation,
        $"{location} cannot keep backups immutable: {why}. Nothing was left there unlocked.",
        location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)
            ? "Use a bucket created with Object Lock on (aws s3api create-bucket --object-lock-enabled-for-bucket, or Object Lock in the console; an existing versioned bucket can have it turned on with put-object-lock-configuration), or leave ?lock-mode= out of the location to write without a lock."
            : "Use a container created with version-level immutability (az storage container-rm create --enable-vlw, or immutable storage with versioning in the portal), or leave ?lock-mode= out of the location to write without a lock.", location, inner);

    /// <summary>Written where objects are locked, then neither locked nor removed: the one state a WORM location must not hide.</summary>
    public static SqliteBackupException StoreObjectLeftUnlocked(string location, string name, SqliteBackupException locking, SqliteBackupException removing) => new(
        "StoreObjectLeftUnlocked", BackupErrorCategory.InvalidResult,
        $"'{name}' was written to {location} but is not locked: setting its immutability policy failed ({locking.Message.TrimEnd('.')}), and so did removing it ({removing.Message.TrimEnd('.')}).",
        "Copy the backup again once the service answers: a copy locks what it finds of the backup already there. Until then that object can be deleted by anyone with the location's credentials.", location + "/" + name, locking);

    // ---- session 13 (breaker): a prune that cannot write its lock -------------------------------------------------------

    /// <summary>The prune's lock could not be written (disk full, read-only or not writable); nothing was deleted.</summary>
    public static SqliteBackupException RepositoryPruneCannotWrite(string location, Exception inner) => IsDiskFull(inner)
        ? new("RepositoryPruneDiskFull", BackupErrorCategory.ResourceUnavailable,
            $"No pack was deleted from the repository in {location}: its disk is full, so the prune could not write the small lock it takes before deleting. Snapshots already removed stay removed; their packs are freed by the next prune that can write there.",
            "Free a little space on that disk (move or delete some other file, for example an old plain backup with Remove-SqliteBackup), then run Invoke-BackupRotation (or Remove-SqliteBackup) again to free the packs no snapshot needs.", location, inner)
        : new("RepositoryPruneNotWritable", BackupErrorCategory.PermissionDenied,
            $"No pack was deleted from the repository in {location}: it cannot be written ({inner.Message}). Snapshots already removed stay removed; their packs are freed by the next prune that can write there.",
            "Run Invoke-BackupRotation (or Remove-SqliteBackup) again as a user who can write to the repository, or once it is mounted read-write.", location, inner);

    // ---- issue 13, age encryption at rest: encrypted incremental repositories (encrepo) --------------------------------

    public static SqliteBackupException RepositoryEncryptionMismatch(string location, string what, string? repository) => new(
        "RepositoryEncryptionMismatch", BackupErrorCategory.InvalidArgument,
        $"Cannot write into the repository in {location}: {what}{(repository == null ? "" : $" (it is encrypted to {repository})")}. A repository is encrypted or not, to fixed recipients, from its creation. Nothing was written.",
        "Give the repository's own encryption options (the recipients listed, with the writer's -IdentityFile, or its -Passphrase), or put the backup into another location, which becomes a repository of its own.", location);

    // ---- issue 13, age encryption at rest: the job configuration and registered orphans (encjob) ---------------------

    public static SqliteBackupException EncryptionPassphraseSourceMissing(string source, string target) => new(
        "EncryptionPassphraseMissing", BackupErrorCategory.ObjectNotFound,
        $"The passphrase could not be read: {source} is not set, does not exist or is empty. Nothing was encrypted or decrypted.",
        "Set it in the environment the job runs in (a systemd EnvironmentFile=, the crontab's variables, the task's account), or write the passphrase into a file readable by the job's user only (chmod 600) and name it in encryption.passphrase_file.", target);

    /// <summary>A warning, not thrown.</summary>
    public static SqliteBackupException EncryptionPassphraseFileExposed(string path, UnixFileMode mode) => new(
        "EncryptionPassphraseFileExposed", BackupErrorCategory.SecurityError,
        $"The passphrase file '{path}' may be read or changed by other users than its owner (mode {Convert.ToString((int)mode, 8)}): anyone who reads it can decrypt every backup encrypted with it.",
        $"Restrict it to its owner: chmod 600 '{path}'. If others may already have read it, choose a new passphrase for new backups.", path);

    public static SqliteBackupException OrphanEncryptedNeedsKey(string file) => new(
        "EncryptionIdentityMissing", BackupErrorCategory.InvalidArgument,
        $"The orphan '{file}' is encrypted (age), and no identity or passphrase was given to open it, so it can not be verified or registered. Nothing was written.",
        "Run Test-SqliteBackup on it again with -IdentityFile or -IdentityVariable (the secret key of one of the recipients it was encrypted to) or -Passphrase, and -VerificationLevel Standard or Full. The identity that registers it signs its new manifest.", file);

    // ---- issue 11, off-site copies: a download resumed after a dropped connection ------------------------------------

    public static SqliteBackupException StoreFsyncUnavailable(string location, string why, bool written) => new(
        "StoreFsyncUnavailable", BackupErrorCategory.InvalidOperation,
        $"{location}?fsync=true asks for every object to be flushed to the server's disk, which needs an account that may run commands and a sync(1) that takes file names; the server could not ({why}). "
        + (written ? "The object just uploaded is in place but unflushed, and no manifest was written for it." : "Nothing was written."),
        "Let the account run commands (no ForceCommand internal-sftp) with a GNU coreutils sync on its PATH, or drop ?fsync=true from the location to write without the flush, as rclone and sftp(1) do.", location);

    public static SqliteBackupException StoreObjectChangedWhileRead(string location, string name, string detail) => new(
        "StoreObjectChanged", BackupErrorCategory.InvalidData,
        $"'{name}' in {location} changed while it was being read ({detail}), so the read that a dropped connection interrupted was not resumed: no bytes of two versions were joined. Nothing was restored or reported good from it.",
        "Something else replaced or altered the object: find out what (another writer, a sync tool), then run the command again; Test-SqliteBackup tells whether the object now there matches its manifest.", location + "/" + name);
}
