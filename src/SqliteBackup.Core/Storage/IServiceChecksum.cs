namespace SqliteBackup.Core.Storage;

/// <summary>
/// A store whose service can compute an object's SHA-256 on its side when asked (an SFTP server that lets us run
/// sha256sum), though it records none: asked only where the hash is wanted, since it costs the server a pass over the
/// object. What it returns is the service's checksum of what it stores, in the sense of <see cref="StoredObject.Sha256"/>.
/// </summary>
public interface IServiceChecksum
{
    /// <summary>The SHA-256 (lower-case hex) the service computed of <paramref name="name"/>, or null where it cannot (then read it back).</summary>
    string? ServiceSha256(string name, long size, CancellationToken ct = default);
}
