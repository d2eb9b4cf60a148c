using System.Management.Automation;
using SqliteBackup.Core.Format;

namespace SqliteBackup.PowerShell;

/// <summary>
/// -Database on the commands that select backups or log entries. Each value is a wildcard pattern over database names,
/// but a value whose wildcard characters match no name is taken literally (a database really named 'app[1]'), and a
/// value that finds nothing either way is read as the database's file name or path: 'app.db' and '/srv/app.db' find
/// database 'app'. A value that is a name as given ('my.app') wins over its file-name reading ('my').
/// </summary>
internal sealed class DatabaseFilter
{
    readonly string[] _values;

    public DatabaseFilter(IEnumerable<string> values) => _values = values.ToArray();

    /// <summary>A filter over names, or null to take every name when no -Database was given.</summary>
    public static DatabaseFilter? From(string[]? values) => values is { Length: > 0 } ? new DatabaseFilter(values) : null;

    /// <summary>
    /// The names among <paramref name="names"/> that the values select, case-insensitively as elsewhere in PowerShell.
    /// Called once per command with every name the command sees (all folders, all pipeline input): whether a value is a
    /// pattern or a literal name is decided over those, so it has one meaning for the whole command.
    /// </summary>
    public HashSet<string> Select(IEnumerable<string> names)
    {
        var all = names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var selected = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in _values)
        {
            var hits = Find(value, all);
            if (hits.Count == 0 && FileStem(value) is { } stem) hits = Find(stem, all);
            selected.UnionWith(hits);
        }
        return selected;
    }

    static List<string> Find(string value, List<string> names)
    {
        // Always through the pattern: one whose wildcard characters are all escaped ('app`[1`]', as completion writes it)
        // has no wildcard characters left, but only the pattern unescapes it.
        try
        {
            var pattern = new WildcardPattern(value, WildcardOptions.IgnoreCase);
            var matched = names.Where(pattern.IsMatch).ToList();
            if (matched.Count > 0) return matched;
        }
        catch (WildcardPatternException) { } // 'app[' is no pattern at all: only a literal name can mean it
        return names.Where(n => string.Equals(n, value, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>The database name a file name or path gives ('app' for ./data/app.db), or null when it gives nothing new.</summary>
    static string? FileStem(string value)
    {
        string stem = BackupNaming.DatabaseName(value.TrimEnd('/', '\\'));
        return stem.Length > 0 && !string.Equals(stem, value, StringComparison.OrdinalIgnoreCase) ? stem : null;
    }
}
