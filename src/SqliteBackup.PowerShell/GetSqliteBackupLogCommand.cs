using System.Management.Automation;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.Get, "SqliteBackupLog", DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(BackupLogEntry))]
public sealed class GetSqliteBackupLogCommand : SqliteBackupCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = "Path")]
    [Alias("FullName", "LogFile")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "backups";

    /// <summary>Not mandatory: without either parameter the command reads the log in ./backups, as before.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "backups";

    [Parameter] [ValidateRange(1, int.MaxValue)] public int Last { get; set; }
    [Parameter] public DateTime Since { get; set; }
    static readonly string[] Levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    static int LevelRank(string level) => Array.FindIndex(Levels, l => l.Equals(level, StringComparison.OrdinalIgnoreCase));

    [Parameter] [ValidateSet("Trace", "Debug", "Information", "Warning", "Error", "Critical")] public string[]? Level { get; set; }
    [Parameter] [SupportsWildcards] [ArgumentCompleter(typeof(LogEventCompleter))] public string[]? Event { get; set; }
    [Parameter] [SupportsWildcards] [ArgumentCompleter(typeof(DatabaseNameCompleter))] public string[]? Database { get; set; }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var input in ExpandPaths([literal ? LiteralPath : Path], literal)) Read(input.Path);
    }

    void Read(string path)
    {
        string file = Directory.Exists(path) ? System.IO.Path.Combine(path, JsonLinesLog.DefaultFileName) : path;
        if (!File.Exists(file))
        {
            WriteError(ErrorRecords.From(Core.Errors.BackupErrors.BackupLogNotFound(file)));
            return;
        }
        var events = Event?.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToList();
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
                && (events == null || events.Any(w => w.IsMatch(e.Event))))
            .ToList();
        if (damaged > 0) WriteWarning($"Skipped {damaged} damaged line(s) in the backup log, the first at {firstDamaged}.");
        _logs.Add(selected);
    }

    /// <summary>The entries each log file gave, in order; -Database and -Last are applied once all are read.</summary>
    readonly List<List<BackupLogEntry>> _logs = [];

    /// <summary>-Database is decided once, over the databases of every log the command read (one meaning for the whole command).</summary>
    protected override void EndProcessing()
    {
        var databases = DatabaseFilter.From(Database)?.Select(_logs.SelectMany(l => l).Select(e => e.Database).OfType<string>());
        foreach (var log in _logs)
        {
            var selected = log.Where(e => databases == null || (e.Database != null && databases.Contains(e.Database))).ToList();
            foreach (var e in Last > 0 ? selected.TakeLast(Last) : selected) WriteObject(e);
        }
    }
}
