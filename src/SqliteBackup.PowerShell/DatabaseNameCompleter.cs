using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.PowerShell;

/// <summary>
/// Tab completion for -Database: the databases that have backups in the backup location already on the command line
/// (-Path or -LiteralPath), or else in ./backups and the current folder. Completion never fails and never warns: a
/// location that cannot be read (missing, refused as insecure) simply offers nothing.
/// </summary>
public sealed class DatabaseNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        bool allowInsecure = fakeBoundParameters["AllowInsecureDirectory"] is SwitchParameter { IsPresent: true } or true;
        var found = new Dictionary<string, List<BackupInfo>>(StringComparer.OrdinalIgnoreCase);
        foreach (var dir in Locations(fakeBoundParameters))
        {
            try
            {
                foreach (var b in new BackupCatalog { AllowInsecureDirectory = allowInsecure }.List(dir))
                    (found.TryGetValue(b.Database, out var list) ? list : found[b.Database] = []).Add(b);
            }
            catch (Exception e) when (e is SqliteBackupException or IOException or UnauthorizedAccessException) { }
        }
        var typed = new WildcardPattern(WildcardPattern.Escape(Completion.Unquote(wordToComplete)) + "*", WildcardOptions.IgnoreCase);
        return found.Where(kv => typed.IsMatch(kv.Key)).OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
            // A name with wildcard characters is completed escaped, so it selects that database and no other.
            .Select(kv => new CompletionResult(Completion.Quote(WildcardPattern.Escape(kv.Key)), kv.Key, CompletionResultType.ParameterValue,
                $"{kv.Key}: {kv.Value.Count} backup(s), the newest taken {kv.Value.Max(b => b.Created):yyyy-MM-dd HH:mm}"))
            .ToList();
    }

    /// <summary>The backup folders the bound -Path/-LiteralPath name (a log file stands for its folder), resolved as the command will.</summary>
    static IEnumerable<string> Locations(IDictionary bound)
    {
        var paths = Completion.Resolve(bound["Path"], literal: false).Concat(Completion.Resolve(bound["LiteralPath"], literal: true)).ToList();
        if (paths.Count == 0 && bound["Path"] == null && bound["LiteralPath"] == null)
        {
            string here = Completion.CurrentLocation();
            paths = [Path.Combine(here, "backups"), here];
        }
        return paths.Select(p => File.Exists(p) ? Path.GetDirectoryName(p)! : p).Where(Directory.Exists).Distinct(StringComparer.Ordinal);
    }
}
