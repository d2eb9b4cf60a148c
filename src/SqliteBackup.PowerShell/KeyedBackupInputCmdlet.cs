using System.Management.Automation;

namespace SqliteBackup.PowerShell;

/// <summary>A cmdlet over backups that may need the keys of encrypted ones (Test-, Restore-SqliteBackup): one set of key parameters.</summary>
public abstract class KeyedBackupInputCmdlet : BackupInputCmdlet
{
    /// <summary>An age identity file (AGE-SECRET-KEY-1… lines) that opens encrypted backups; never the key itself.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdentityFile { get; set; }

    /// <summary>The name of an environment variable holding the age identity.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdentityVariable { get; set; }

    /// <summary>The passphrase of a backup encrypted with one.</summary>
    [Parameter]
    public System.Security.SecureString? Passphrase { get; set; }

    /// <summary>Public keys (age1…) of writers whose signed manifests are trusted besides the identities' own (a recovery key's holder names the operator's).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? TrustedWriter { get; set; }

    private protected Core.Encryption.BackupKeys? ReadGivenKeys() => ReadKeys(IdentityFile, IdentityVariable, Passphrase, TrustedWriter);
}
