using System.Management.Automation;
using Microsoft.PowerShell.Commands;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Snapshot;

namespace SqliteBackup.PowerShell;

/// <summary>A file-system path given to a command, and whether a wildcard found it (rather than the user or a pipeline naming it).</summary>
/// <see cref="Remote"/>: a store URI (s3://...), taken as written: no provider resolves it.
internal readonly record struct InputPath(string Path, bool Matched, bool Remote = false);

public abstract partial class SqliteBackupCmdlet
{
    /// <summary>
    /// The parameter set of -LiteralPath (alias PSPath, LP). It is the default set of commands that also take -Path, so
    /// that Get-ChildItem's objects bind their PSPath here, literally, as they do on the provider cmdlets: by FullName
    /// they would bind -Path, and a file named 'app[1].db' would be read as a pattern.
    /// </summary>
    private protected const string LiteralPathSet = "LiteralPath";

    /// <summary>
    /// -Path values expand as the provider cmdlets expand them; -LiteralPath values are taken as written, and so is a
    /// -Path whose wildcard characters match nothing when a file or folder of that very name exists (a database really
    /// named 'app[1].db'). A wildcard that matches nothing is a non-terminating PathWildcardNoMatch; a literal path that
    /// does not exist is returned as it is, so the command reports it as it always has.
    /// </summary>
    private protected List<InputPath> ExpandPaths(IEnumerable<string> paths, bool literal)
    {
        var found = ExpandPaths(paths, literal, out var errors);
        foreach (var e in errors) ReportError(e);
        return found;
    }

    private protected List<InputPath> ExpandPaths(IEnumerable<string> paths, bool literal, out List<SqliteBackupException> errors)
    {
        var found = new List<InputPath>();
        errors = [];
        foreach (var p in paths)
        {
            if (Core.Storage.StoreRegistry.IsRemote(p))
            {
                found.Add(new InputPath(p, Matched: false, Remote: true));
                continue;
            }
            bool wild = WildcardPattern.ContainsWildcardCharacters(p);
            // A path with escaped wildcard characters ('app`[1`].db') has no wildcard left, but only the provider unescapes it.
            if (literal || (!wild && !p.Contains('`')))
            {
                found.Add(new InputPath(ResolvePath(p), Matched: false));
                continue;
            }
            IReadOnlyList<string> matches;
            ProviderInfo? provider = null;
            try { matches = SessionState.Path.GetResolvedProviderPathFromPSPath(p, out provider); }
            catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException) { matches = []; }
            if (provider != null && provider.ImplementingType != typeof(FileSystemProvider))
            {
                errors.Add(BackupErrors.PathNotOnFileSystem(p, provider.Name));
                continue;
            }
            if (matches.Count > 0)
            {
                found.AddRange(matches.Select(m => new InputPath(m, Matched: true)));
                continue;
            }
            string asWritten = ResolvePath(p);
            if (File.Exists(asWritten) || Directory.Exists(asWritten)) found.Add(new InputPath(asWritten, Matched: false));
            else if (!wild) found.Add(new InputPath(ResolvePath(WildcardPattern.Unescape(p)), Matched: false)); // a literal name after all: the command says it does not exist
            else errors.Add(BackupErrors.PathWildcardNoMatch(p));
        }
        return found;
    }

    /// <summary>
    /// Database files for a configuration: wildcards expand, and the -wal, -shm and -journal files and folders they match
    /// are passed over. A wildcard that matches nothing throws, so nothing is written; a literal path may name a
    /// database that does not exist yet.
    /// </summary>
    private protected List<string> DatabaseFiles(IEnumerable<string> given)
    {
        var found = ExpandPaths(given, literal: false, out var errors);
        if (errors.Count > 0) throw errors[0];
        var files = found.Where(i => !(i.Matched && (SqliteFiles.IsSidecar(i.Path) || Directory.Exists(i.Path))))
            .Select(i => i.Path).Distinct(StringComparer.Ordinal).ToList();
        return files.Count > 0 || !given.Any() ? files : throw BackupErrors.PathWildcardNoMatch(string.Join(", ", given));
    }

    /// <summary>For commands that read backup folders: what a wildcard matched besides folders (backup files, logs) is passed over.</summary>
    private protected IEnumerable<string> BackupDirectories(IEnumerable<InputPath> inputs)
    {
        foreach (var input in inputs)
        {
            if (input.Matched && !Directory.Exists(input.Path)) { WriteVerbose($"Passing over '{input.Path}': it is not a folder."); continue; }
            yield return input.Path;
        }
    }
}
