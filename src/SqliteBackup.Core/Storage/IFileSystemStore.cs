namespace SqliteBackup.Core.Storage;

/// <summary>
/// A store on a file system that other users and programs share (a local directory). A name there can be a symlink, a
/// FIFO or another user's file, none of which a store writes itself, so the catalog asks before it believes a manifest
/// or acts on a data object. Only a file system has these questions; a service's objects are all the service's.
/// </summary>
public interface IFileSystemStore : IBackupStore
{
    /// <summary>The path of an object: what messages name, and where a scratch folder beside the backups goes.</summary>
    string PathOf(string name);

    /// <summary>
    /// A small object (a manifest) read without following a symlink (a symlink or a non-regular file: UnsafeFileLink);
    /// <paramref name="distrust"/> says why its owner may not be believed, null when it may.
    /// </summary>
    byte[] ReadOwned(string name, int maxBytes, out string? distrust);

    /// <summary>Why the object by that name may not be believed or acted on (a symlink, not a regular file, another user's); null when it may, or when there is none.</summary>
    string? Distrust(string name);
}
