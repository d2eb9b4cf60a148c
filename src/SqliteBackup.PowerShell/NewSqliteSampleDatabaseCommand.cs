using System.Management.Automation;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.PowerShell;

/// <summary>A sample employees database to try the module on without risking real data.</summary>
[Cmdlet(VerbsCommon.New, "SqliteSampleDatabase", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewSqliteSampleDatabaseCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Employees { get; set; } = 100;

    [Parameter]
    [ValidateSet("Wal", "Delete")]
    public string JournalMode { get; set; } = "Wal";

    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        if (File.Exists(path) || Directory.Exists(path))
        {
            WriteError(ErrorRecords.From(BackupErrors.SampleDatabaseExists(path)));
            return;
        }
        if (!ShouldProcess(path, "Create a sample employees database")) return;
        SampleDatabase.Create(path, Employees, wal: JournalMode == "Wal");
        // Through the provider, as Get-Item returns it: a bare FileInfo lacks the properties the file table shows (a row of blanks).
        WriteObject(InvokeProvider.Item.Get([path], force: false, literalPath: true), enumerateCollection: true);
    }
}
