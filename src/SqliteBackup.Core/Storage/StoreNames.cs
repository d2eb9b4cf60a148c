using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Storage;

/// <summary>
/// Object names are single, flat names: a manifest can only ever point at an object in its own location, whatever
/// the store does with '/' or '..'.
/// </summary>
public static class StoreNames
{
    public static void Check(string name, string location)
    {
        if (!IsValid(name)) throw BackupErrors.StoreObjectNameInvalid(location, name);
    }

    public static bool IsValid(string name) =>
        !(string.IsNullOrEmpty(name) || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name.Length > 255);
}
