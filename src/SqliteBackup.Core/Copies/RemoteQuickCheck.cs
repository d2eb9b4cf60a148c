using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Copies;

/// <summary>
/// Quick verification of a remote backup where it lies: the data object is there, its size is the manifest's, and its
/// SHA-256 is the manifest's. Where the service keeps a whole-object SHA-256 (S3's ChecksumSHA256 of a single-part
/// object), that is compared and nothing is downloaded; otherwise (a multipart object, whose checksum is one of its
/// parts' checksums, or a service that keeps none, such as Ceph radosgw 16) the object is read once as a stream and
/// hashed, never written to disk. The result is recorded in the manifest, which goes back to the store.
/// </summary>
public sealed class RemoteQuickCheck(ILogger log)
{
    public VerificationResult Verify(BackupInfo remote, Action<BackupProgress>? progress = null, CancellationToken ct = default)
    {
        using var store = remote.OpenStore();
        var m = remote.Manifest;
        var started = DateTime.UtcNow;
        var total = Stopwatch.StartNew();
        var checks = new List<CheckResult>();
        string activity = "Verifying " + m.File;
        StoredObject? data = null;

        bool Run(string name, Func<(bool Ok, string Message)> check)
        {
            var sw = Stopwatch.StartNew();
            var (ok, message) = check();
            checks.Add(new CheckResult(name, ok ? VerificationOutcome.Passed : VerificationOutcome.Failed, sw.Elapsed, message));
            return ok;
        }

        progress?.Invoke(new BackupProgress(activity, "Checking size and SHA-256", 0));
        _ = Run("FilePresent", () => (data = store.Stat(m.File, ct)) != null
                ? (true, $"{m.File} is in {store.Location}")
                : (false, $"{m.File} is missing from {store.Location} (deleted behind our back?)"))
            && Run("Size", () => data!.Size == m.StoredSize
                ? (true, $"{data.Size} bytes")
                : (false, $"{data.Size} bytes stored, manifest says {m.StoredSize}"))
            && Run("Sha256", () =>
            {
                if (data!.Sha256 is { Length: 64 } recorded)
                    return recorded == m.StoredSha256
                        ? (true, $"{recorded} (the service's own checksum; nothing downloaded)")
                        : (false, $"the service's checksum is SHA-256 {recorded}, manifest says {m.StoredSha256}");
                string hash = Download(store, m, activity, progress, ct);
                return hash == m.StoredSha256 ? (true, $"{hash} (read back)") : (false, $"SHA-256 is {hash}, manifest says {m.StoredSha256}");
            });
        progress?.Invoke(new BackupProgress(activity, "done", 100, Completed: true));

        var result = new VerificationResult(remote, VerificationLevel.Quick, started, checks, total.Elapsed);
        if (!result.Passed) log.LogWarning("Quick verification of {Path} failed: {Message}", remote.Path, result.Message);
        Record(store, remote, result, ct);
        return result;
    }

    static string Download(IBackupStore store, BackupManifest m, string activity, Action<BackupProgress>? progress, CancellationToken ct)
    {
        var rate = new TransferRate(m.StoredSize);
        using var input = store.OpenRead(m.File, ct);
        using var hashing = new HashingStream(input);
        var buffer = new byte[1 << 20];
        long done = 0;
        int n;
        while ((n = hashing.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            done += n;
            progress?.Invoke(rate.Progress(activity, done, $"read back from {store.Location}"));
        }
        return hashing.HashHex();
    }

    /// <summary>Appends the result to the manifest as the store holds it now; a store that refuses the write does not fail the check.</summary>
    void Record(IBackupStore store, BackupInfo remote, VerificationResult result, CancellationToken ct)
    {
        string manifestName = remote.Manifest.File + BackupManifest.Suffix;
        try
        {
            var current = BackupManifest.TryParse(store.ReadAllBytes(manifestName, ct), out string? problem) ?? throw new InvalidDataException(problem);
            current.Verifications.Add(result.ToRecord());
            using var json = new MemoryStream(current.ToJson());
            store.Put(manifestName, json, createOnly: false, ct: ct);
            remote.Manifest.Verifications.Clear();
            remote.Manifest.Verifications.AddRange(current.Verifications);
        }
        catch (Exception e) when (e is Errors.SqliteBackupException or InvalidDataException)
        {
            log.LogWarning("Could not record the verification in {Manifest}: {Message}", remote.ManifestPath, e.Message);
        }
    }
}
