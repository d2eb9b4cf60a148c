using SqliteBackup.Core.Storage;
namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// What the file-based registrations (systemd, launchd, Task Scheduler) share: artefact files written atomically,
/// plus a small sidecar index so Get-BackupSchedule can show the cron form and the next run without parsing each
/// scheduler's own calendar syntax back.
/// </summary>
internal static class ScheduleIndex
{
    public static string PathIn(string folder) => Path.Combine(folder, ".sqlitebackup-schedules.json");

    public static Dictionary<string, (string Cron, string Command)> Read(string folder)
    {
        string path = PathIn(folder);
        if (!File.Exists(path)) return new(StringComparer.Ordinal);
        var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name,
            p => (p.Value.GetProperty("cron").GetString() ?? "", p.Value.GetProperty("command").GetString() ?? ""), StringComparer.Ordinal);
    }

    public static void Write(string folder, Dictionary<string, (string Cron, string Command)> index)
    {
        var obj = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, (cron, command)) in index.OrderBy(k => k.Key, StringComparer.Ordinal))
            obj[name] = new System.Text.Json.Nodes.JsonObject { ["cron"] = cron, ["command"] = command };
        PrivateFiles.EnsureDirectory(folder);
        AtomicFile.WriteAllBytes(PathIn(folder), System.Text.Encoding.UTF8.GetBytes(obj.ToJsonString(new() { WriteIndented = true })), overwrite: true);
    }

    public static void WriteFile(string path, string content, System.Text.Encoding? encoding = null)
    {
        PrivateFiles.EnsureDirectory(Path.GetDirectoryName(path)!);
        encoding ??= new System.Text.UTF8Encoding(false);
        AtomicFile.WriteAllBytes(path, [.. encoding.GetPreamble(), .. encoding.GetBytes(content)], overwrite: true);
    }
}
