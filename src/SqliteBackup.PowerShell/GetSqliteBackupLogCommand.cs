using System.Management.Automation;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Get, "SqliteBackupLog")]
[OutputType(typeof(BackupLogEntry))]
public sealed class GetSqliteBackupLogCommand : SqliteBackupCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "LogFile")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "backups";

    [Parameter] [ValidateRange(1, int.MaxValue)] public int Last { get; set; }
    [Parameter] public DateTime Since { get; set; }
    static readonly string[] Levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    static int LevelRank(string level) => Array.FindIndex(Levels, l => l.Equals(level, StringComparison.OrdinalIgnoreCase));

    [Parameter] [ValidateSet("Trace", "Debug", "Information", "Warning", "Error", "Critical")] public string[]? Level { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Event { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Database { get; set; }

    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        string file = Directory.Exists(path) ? System.IO.Path.Combine(path, JsonLinesLog.DefaultFileName) : path;
        if (!File.Exists(file))
        {
            WriteError(ErrorRecords.From(Core.Errors.BackupErrors.BackupLogNotFound(file)));
            return;
        }
        var events = Event?.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToList();
        var databases = Database?.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToList();
        DateTime? since = MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? Since.ToUniversalTime() : null;
        // As in every log viewer, a level means that level and above; with several, the lowest given.
        int? minLevel = Level?.Min(LevelRank);
        int damaged = 0;
        string? firstDamaged = null;
        var all = new JsonLinesLog(file).Read((f, line) => { damaged++; firstDamaged ??= $"{f} line {line}"; }).ToList();
        if (all.Count == 0 && damaged > 0)
        {
            WriteError(ErrorRecords.From(Core.Errors.BackupErrors.NotABackupLog(file)));
            return;
        }
        var selected = all
            .Where(e => (since == null || e.Time >= since)
                && (minLevel == null || LevelRank(e.Level) >= minLevel)
                && (events == null || events.Any(w => w.IsMatch(e.Event)))
                && (databases == null || (e.Database != null && databases.Any(w => w.IsMatch(e.Database)))))
            .ToList();
        if (damaged > 0) WriteWarning($"Skipped {damaged} damaged line(s) in the backup log, the first at {firstDamaged}.");
        foreach (var e in Last > 0 ? selected.TakeLast(Last) : selected) WriteObject(e);
    }
}
