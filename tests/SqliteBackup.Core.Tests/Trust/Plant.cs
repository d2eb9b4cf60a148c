using System.Text.Json.Nodes;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Trust;

/// <summary>What a hostile local user puts into a backup directory: manifests copied from real ones with a field changed.</summary>
public static class Plant
{
    public static BackupInfo Backup(TempDir t, string dir = "backups", BackupType type = BackupType.Automatic)
    {
        if (!File.Exists(t["app.db"])) SampleDatabase.Create(t["app.db"]);
        return new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t[dir], Type = type, Verify = VerificationLevel.None });
    }

    /// <summary>A copy of <paramref name="real"/>'s manifest at <paramref name="manifestPath"/>, edited by <paramref name="edit"/>.</summary>
    public static string Manifest(BackupInfo real, string manifestPath, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(real.ManifestPath))!.AsObject();
        edit(json);
        File.WriteAllText(manifestPath, json.ToJsonString());
        return manifestPath;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);
}
