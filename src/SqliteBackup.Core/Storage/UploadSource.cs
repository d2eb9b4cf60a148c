namespace SqliteBackup.Core.Storage;

/// <summary>
/// The stream being uploaded failed (a disk error, a snapshot that went wrong): every back end hands that failure back
/// as it was, never mistaken for the service's (an IOException would otherwise read as "unreachable").
/// </summary>
internal sealed class SourceFailedException(Exception inner) : Exception(inner.Message, inner);

/// <summary>Reading what a store uploads, with the source's own failures told apart from the service's.</summary>
internal static class UploadSource
{
    /// <summary>Fills <paramref name="buffer"/> up to <paramref name="count"/> bytes; fewer only at the end of the stream.</summary>
    public static int ReadFull(Stream content, byte[] buffer, int count, CancellationToken ct)
    {
        int filled = 0;
        while (filled < count)
        {
            ct.ThrowIfCancellationRequested();
            int n;
            try { n = content.Read(buffer, filled, count - filled); }
            catch (Exception e) when (e is not OperationCanceledException) { throw new SourceFailedException(e); }
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }
}
