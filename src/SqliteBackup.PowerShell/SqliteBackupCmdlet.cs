using System.Management.Automation;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.PowerShell;

/// <summary>What every cmdlet shares: paths resolved against the shell's location, Core's log as verbose output, progress and error records.</summary>
public abstract partial class SqliteBackupCmdlet : PSCmdlet
{
    ILogger? _logger;
    bool _outerProgress;
    readonly CancellationTokenSource _stopping = new();

    private protected ILogger Logger => _logger ??= new CmdletLogger(this);

    /// <summary>
    /// The shell's streams plus the backup log of a backup directory, so every operation leaves its history beside the
    /// backups it touched (or in -LogPath where a command offers it). A directory others can write gets no log line
    /// unless allowed: the command itself refuses that directory and says why.
    /// </summary>
    private protected ILogger LoggerWithBackupLog(string backupDirectory, bool allowInsecureDirectory, string? logPath = null)
    {
        // The backup log is a local file; a remote location's operations are logged by the caller's own logger only.
        if (logPath == null && Core.Storage.StoreRegistry.IsRemote(backupDirectory)) return Logger;
        string file = logPath ?? Path.Combine(backupDirectory, JsonLinesLog.DefaultFileName);
        if (!allowInsecureDirectory && Core.Trust.DirectoryTrust.Problem(Path.GetDirectoryName(file)!) != null) return Logger;
        return new CompositeLogger(Logger, new BackupLogProvider(new JsonLinesLog(file, createDirectory: logPath != null)).CreateLogger("cmdlet"));
    }

    private protected CancellationToken Cancellation => _stopping.Token;

    /// <summary>
    /// A -Credential as the store takes it (S3: access key id and secret access key; Azure: account and key; SFTP: user
    /// and password or key passphrase). The secret leaves the SecureString only here, in memory, for the store's client.
    /// </summary>
    /// <param name="timeoutSec">-TimeoutSec: one operation's limit on a remote store with its retries; 0: the default (120 s).</param>
    private protected static Core.Storage.StoreOptions StoreOptionsFrom(PSCredential? credential, bool create = false, bool allowInsecureDirectory = false, int timeoutSec = 0) => new()
    {
        Timeout = timeoutSec > 0 ? TimeSpan.FromSeconds(timeoutSec) : Core.Storage.StoreTimeouts.DefaultTimeout,
        Create = create,
        AllowInsecureDirectory = allowInsecureDirectory,
        UserName = credential is null || credential == PSCredential.Empty ? null : credential.UserName,
        Secret = credential is null || credential == PSCredential.Empty ? null : new System.Net.NetworkCredential("", credential.Password).Password,
    };

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Relative paths mean the current PowerShell location, not the process's working directory.</summary>
    private protected string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    private protected void Progress(BackupProgress p)
    {
        if (p.Level == 0) _outerProgress = !p.Completed;
        var record = new ProgressRecord(p.Level + 1, p.Activity, p.Status)
        {
            // Nested under the job's bar only while there is one.
            ParentActivityId = p.Level > 0 && _outerProgress ? p.Level : -1,
            PercentComplete = Math.Clamp(p.PercentComplete, 0, 100),
            SecondsRemaining = p.SecondsRemaining,
            RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        WriteProgress(record);
    }

    /// <summary>Runs one unit of work; a Core failure becomes a non-terminating error so the rest of the pipeline goes on.</summary>
    private protected void Try(Action action)
    {
        try { action(); }
        catch (SqliteBackupException e) { ReportError(e); }
    }

    /// <summary>
    /// The one way a non-terminating failure is written, path and lookup errors included, so that a command which
    /// alerts (NotifyingCmdlet) alerts on every failure, not only on those inside its own work.
    /// </summary>
    private protected virtual void ReportError(SqliteBackupException e) => WriteError(ErrorRecords.From(e));

    private protected void Fail(SqliteBackupException e) => ThrowTerminatingError(ErrorRecords.From(e));

    bool _promptFree;

    // Hide Cmdlet's writers so that every message of ours goes out without a -Debug prompt (see PromptFreeStreams).
    private protected new void WriteWarning(string text) { EnsurePromptFree(); base.WriteWarning(text); }
    private protected new void WriteVerbose(string text) { EnsurePromptFree(); base.WriteVerbose(text); }
    private protected new void WriteDebug(string text) { EnsurePromptFree(); base.WriteDebug(text); }

    void EnsurePromptFree()
    {
        if (_promptFree) return;
        _promptFree = true;
        PromptFreeStreams.Apply(this);
    }
}
