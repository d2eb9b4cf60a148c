using System.Management.Automation;
using SqliteBackup.Core.Jobs;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Get, "SqliteBackupConfig")]
[OutputType(typeof(BackupJobConfig))]
public sealed class GetSqliteBackupConfigCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "ConfigPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
            Try(() => WriteObject(BackupJobConfigFile.Load(ResolvePath(p))));
    }
}
