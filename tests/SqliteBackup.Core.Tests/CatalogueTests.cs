using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Tests;

/// <summary>
/// Scripts match on ErrorIds and log readers on event names, so each is spelt in exactly one place: ErrorIds in
/// Errors/BackupErrors.cs, events in Logging/BackupEvents.cs. These read the sources, because a stray literal compiles.
/// </summary>
public class CatalogueTests
{
    static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "SqliteBackup.PS.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("SqliteBackup.PS.sln not found above " + AppContext.BaseDirectory);
    }

    static IEnumerable<(string Path, string Text)> Sources() =>
        Directory.EnumerateFiles(Path.Combine(RepoRoot(), "src"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(p => (p, File.ReadAllText(p)));

    [Fact]
    public void Every_error_is_built_in_the_catalogue()
    {
        var strays = Sources()
            .Where(s => !s.Path.EndsWith(Path.Combine("Errors", "BackupErrors.cs")))
            .SelectMany(s => Regex.Matches(s.Text, @"new SqliteBackupException\(|""\w+"",\s*BackupErrorCategory\.|ErrorId\s*=\s*""")
                .Select(m => $"{Path.GetFileName(s.Path)}: {m.Value}"))
            .ToList();
        Assert.Empty(strays);
    }

    [Fact]
    public void Event_names_are_spelt_only_in_the_events_catalogue()
    {
        var names = typeof(BackupEvents).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => ((EventId)f.GetValue(null)!).Name!).ToList();
        Assert.Contains("BackupFailed", names);
        var strays = Sources()
            // Some ErrorIds share an event's name (BackupFailed): the error catalogue spells its own.
            .Where(s => !s.Path.EndsWith(Path.Combine("Logging", "BackupEvents.cs")) && !s.Path.EndsWith(Path.Combine("Errors", "BackupErrors.cs")))
            .SelectMany(s => names.Where(n => s.Text.Contains($"\"{n}\"", StringComparison.Ordinal)).Select(n => $"{Path.GetFileName(s.Path)}: \"{n}\""))
            .ToList();
        Assert.Empty(strays);
    }

    [Fact]
    public void Event_ids_and_names_are_unique()
    {
        var events = typeof(BackupEvents).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (EventId)f.GetValue(null)!).ToList();
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(events.Count, events.Select(e => e.Name).Distinct().Count());
    }
}
