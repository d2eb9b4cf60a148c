namespace SqliteBackup.Core.Storage;

/// <summary>
/// A store whose interrupted uploads leave something behind that no listing shows (S3's incomplete multipart uploads,
/// a partial file on an SFTP server). The next run calls this so that a killed run costs nothing lasting.
/// </summary>
public interface IStaleUploadCleanup
{
    /// <summary>
    /// The age past which an unfinished upload is taken for one a killed run left (the location's setting, or the
    /// store's default): long enough that no live upload of a concurrent run is ever that old.
    /// </summary>
    TimeSpan StaleAfter { get; }

    /// <summary>Removes what uploads started more than <paramref name="olderThan"/> ago left behind; returns how many.</summary>
    int AbortStaleUploads(TimeSpan olderThan, CancellationToken ct = default);
}
