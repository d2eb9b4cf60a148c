using System.Management.Automation;
using SqliteBackup.Core.Jobs;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Get, "SqliteBackupConfig", DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(BackupJobConfig))]
public sealed class GetSqliteBackupConfigCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Path")]
    [Alias("FullName", "ConfigPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var input in ExpandPaths(literal ? LiteralPath : Path, literal))
            Try(() =>
            {
                var config = BackupJobConfigFile.Load(input.Path);
                WarnAboutKeys(config);
                WriteObject(config);
            });
    }
}
