using System.Management.Automation;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.PowerShell;

/// <summary>The repository check: every pack and index read once, each problem with the snapshots it affects.</summary>
[Cmdlet(VerbsDiagnostic.Test, "SqliteBackupRepository")]
[OutputType(typeof(RepositoryProblem), typeof(RepositoryCheckResult))]
public sealed class TestSqliteBackupRepositoryCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("BackupPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Use a backup directory that users other than its owner and root can write (refused by default, like OpenSSH's StrictModes).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDirectory { get; set; }

    /// <summary>The credential for a remote location; without it, the environment's.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>How long one operation on a remote location may take with its retries (0: 120 s); see StoreTimeouts.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int TimeoutSec { get; set; }

    /// <summary>An encrypted repository: an age identity file that opens it; with a key every manifest is authenticated and every block decrypted and checked.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdentityFile { get; set; }

    /// <summary>The name of an environment variable holding the age identity.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdentityVariable { get; set; }

    /// <summary>The passphrase of a repository encrypted with one.</summary>
    [Parameter]
    public System.Security.SecureString? Passphrase { get; set; }

    /// <summary>Public keys (age1…) of writers whose signed manifests are trusted besides the identities' own.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? TrustedWriter { get; set; }

    protected override void ProcessRecord()
    {
        Core.Encryption.BackupKeys? keys;
        try { keys = ReadKeys(IdentityFile, IdentityVariable, Passphrase, TrustedWriter); }
        catch (SqliteBackupException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
            return;
        }
        string location = StoreRegistry.IsRemote(Path) ? Path : GetUnresolvedProviderPathFromPSPath(Path);
        try
        {
            using var store = StoreRegistry.Open(location, StoreOptionsFrom(Credential, allowInsecureDirectory: AllowInsecureDirectory, timeoutSec: TimeoutSec));
            var progress = new ProgressRecord(1, "Checking the repository in " + store.Location, "Reading packs");
            // RepositoryCheck reports bytes read on the calling thread, the only one allowed to draw progress.
            var result = RepositoryCheck.Run(store, read =>
            {
                progress.StatusDescription = $"Read {read / 1048576:N0} MiB";
                WriteProgress(progress);
            }, Cancellation, keys);
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            foreach (var problem in result.Problems) WriteObject(problem);
            if (result.BlocksUnchecked)
                WriteWarning($"The repository in {result.Location} is encrypted and no key was given: each pack was checked against its name and index, but no block was decrypted or checked and no manifest authenticated. Give -IdentityFile (or -Passphrase) to check them.");
            WriteObject(result);
            if (!result.Sound)
                WriteError(ErrorRecords.From(BackupErrors.RepositoryCheckFailed(result.Location, result.Problems.Count, result.AffectedSnapshots.Count)));
        }
        catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
    }
}
