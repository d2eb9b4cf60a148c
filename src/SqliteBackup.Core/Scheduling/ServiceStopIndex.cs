using System.Text.Json.Nodes;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Scheduling;

/// <summary>One backup-on-service-stop of ours: where its artefact is, and whether we made the folder that holds it.</summary>
internal sealed record ServiceStopEntry(string Service, string Command, string Location, bool CreatedFolder);

/// <summary>
/// The service-stop registrations of a back end, beside <see cref="ScheduleIndex"/> in its own file: Unregister must know
/// exactly what Register added (a drop-in folder we created goes with our file; one the application had stays).
/// </summary>
internal static class ServiceStopIndex
{
    static string PathIn(string folder) => Path.Combine(folder, ".sqlitebackup-services.json");

    public static Dictionary<string, ServiceStopEntry> Read(string folder)
    {
        string path = PathIn(folder);
        if (!File.Exists(path)) return new(StringComparer.Ordinal);
        var root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? [];
        return root.ToDictionary(p => p.Key, p => new ServiceStopEntry(
            (string?)p.Value?["service"] ?? "", (string?)p.Value?["command"] ?? "", (string?)p.Value?["location"] ?? "", (bool?)p.Value?["createdFolder"] ?? false), StringComparer.Ordinal);
    }

    public static void Write(string folder, Dictionary<string, ServiceStopEntry> index)
    {
        string path = PathIn(folder);
        if (index.Count == 0)
        {
            // Nothing of ours left: no state file either, as before the first Register.
            AtomicFile.TryDelete(path);
            return;
        }
        var obj = new JsonObject();
        foreach (var (name, e) in index.OrderBy(k => k.Key, StringComparer.Ordinal))
            obj[name] = new JsonObject { ["service"] = e.Service, ["command"] = e.Command, ["location"] = e.Location, ["createdFolder"] = e.CreatedFolder };
        PrivateFiles.EnsureDirectory(folder);
        AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(obj.ToJsonString(new() { WriteIndented = true })), overwrite: true);
    }

    public static RegisteredSchedule ToSchedule(string name, SchedulerKind kind, ServiceStopEntry e) =>
        new(name, kind, null, e.Command, e.Location) { Service = e.Service };
}
