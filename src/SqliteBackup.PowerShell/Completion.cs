using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace SqliteBackup.PowerShell;

/// <summary>What the argument completers share: reading the words typed so far and resolving paths as the shell would.</summary>
internal static class Completion
{
    public static string Unquote(string word) =>
        word.Length > 0 && word[0] is '\'' or '"' ? word.Trim(word[0]).Replace(new string(word[0], 2), word[0].ToString()) : word;

    /// <summary>Single quotes when the shell would otherwise split or expand the value.</summary>
    public static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.')
            ? value
            : "'" + value.Replace("'", "''") + "'";

    public static string CurrentLocation()
    {
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        var location = ps.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem").Invoke<PathInfo>();
        return location.Count > 0 ? location[0].ProviderPath : Environment.CurrentDirectory;
    }

    /// <summary>Provider paths for a bound value (a string or an array of them as typed); constant values only, nothing is run.</summary>
    public static IEnumerable<string> Resolve(object? bound, bool literal)
    {
        var values = (bound is object[] many ? many : bound == null ? [] : [bound]).Select(v => (v is PSObject p ? p.BaseObject : v)?.ToString())
            .OfType<string>().Where(v => v.Length > 0).ToList();
        if (values.Count == 0) return [];
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand("Microsoft.PowerShell.Management\\Resolve-Path").AddParameter(literal ? "LiteralPath" : "Path", values.ToArray())
            .AddParameter("ErrorAction", ActionPreference.Ignore);
        try { return ps.Invoke<PathInfo>().Where(p => p.Provider.Name == "FileSystem").Select(p => p.ProviderPath).ToList(); }
        catch (RuntimeException) { return []; }
    }

    public static IEnumerable<CompletionResult> Offer(IEnumerable<(string Name, string Tooltip)> items, string wordToComplete)
    {
        var typed = new WildcardPattern(WildcardPattern.Escape(Unquote(wordToComplete)) + "*", WildcardOptions.IgnoreCase);
        return items.Where(i => typed.IsMatch(i.Name)).OrderBy(i => i.Name, StringComparer.OrdinalIgnoreCase)
            .Select(i => new CompletionResult(Quote(i.Name), i.Name, CompletionResultType.ParameterValue, i.Tooltip)).ToList();
    }
}
