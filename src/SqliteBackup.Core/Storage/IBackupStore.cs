namespace SqliteBackup.Core.Storage;

/// <summary>
/// Where backup objects live: a local directory, a bucket prefix, a container, a folder on an SFTP server. Small on
/// purpose (Litestream's ReplicaClient is the model): everything above it, the manifest-last protocol included, is
/// written once against these five operations, and a new back end is one class and one line in <see cref="StoreRegistry"/>.
/// Object names are flat (no '/'): a location holds backups side by side, as a backup directory does.
/// </summary>
public interface IBackupStore : IDisposable
{
    /// <summary>The location for messages and logs (a path or a URI): never a secret, no key, no SAS query.</summary>
    string Location { get; }

    /// <summary>The objects at the location, our temporaries and unfinished uploads excluded.</summary>
    IReadOnlyList<StoredObject> List(CancellationToken ct = default);

    /// <summary>The object, or null when there is none by that name.</summary>
    StoredObject? Stat(string name, CancellationToken ct = default);

    /// <summary>Reads an object as a stream. Missing: <see cref="Errors.SqliteBackupException"/> StoreObjectNotFound.</summary>
    Stream OpenRead(string name, CancellationToken ct = default);

    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="name"/>, visible only once whole: never a half-written
    /// object, whatever kills the writer. With <paramref name="createOnly"/> an existing object is never replaced
    /// (StoreObjectExists), by the service's own conditional create where it has one. <paramref name="progress"/> gets the
    /// bytes sent so far, on the calling thread (a shell can only draw progress from there).
    /// </summary>
    void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default);

    /// <summary>Deletes an object; one that is already gone is not an error.</summary>
    void Delete(string name, CancellationToken ct = default);
}

/// <param name="Sha256">
/// The SHA-256 of the object's bytes (lower-case hex), only where that is known without reading them: the service's
/// own checksum, or one we proved equal to what it stores by its ETag (an S3 store that uploaded the object hashed the
/// bytes it sent, and the service's ETag is still the MD5 of exactly those bytes). Null otherwise: read the object to know.
/// Never write it anywhere as the service's checksum: the second kind lasts only as long as the store instance.
/// </param>
public sealed record StoredObject(string Name, long Size, DateTime ModifiedUtc, string? Sha256 = null);
