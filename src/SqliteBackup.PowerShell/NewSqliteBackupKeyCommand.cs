using System.Management.Automation;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.PowerShell;

/// <summary>A new age identity file (0600) for encrypted backups; outputs its public key, never the secret.</summary>
[Cmdlet(VerbsCommon.New, "SqliteBackupKey", SupportsShouldProcess = true)]
[OutputType(typeof(BackupKey))]
public sealed class NewSqliteBackupKeyCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        if (!Force && (File.Exists(path) || Directory.Exists(path)))
        {
            WriteError(ErrorRecords.From(BackupErrors.EncryptionIdentityFileExists(path)));
            return;
        }
        if (!ShouldProcess(path, Force && File.Exists(path) ? "Replace the identity file with a new key" : "Create an identity file with a new key")) return;
        try { WriteObject(AgeIdentityFile.Create(path, Force)); }
        catch (SqliteBackupException e) { WriteError(ErrorRecords.From(e)); }
    }
}
