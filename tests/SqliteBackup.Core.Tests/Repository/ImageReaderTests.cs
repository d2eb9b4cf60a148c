using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Snapshot;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;

namespace SqliteBackup.Core.Tests.Repository;

public class ImageReaderTests
{
    static (byte[] Hash, long Bytes, TimeSpan Rested) ReadAll(byte[] image, Func<bool>? writerActive)
    {
        using var reader = new ImageReader(new MemoryStream(image), image.Length, 1 << 20, default, writerActive);
        long bytes = 0;
        foreach (var chunk in reader.Chunks()) bytes += chunk.Length;
        return (reader.Sha256(), bytes, reader.Rested);
    }

    [Fact]
    public void While_a_writer_commits_the_image_is_read_at_half_speed_and_hashed_the_same()
    {
        var image = new byte[64 << 20];
        new Random(7).NextBytes(image);
        var alone = ReadAll(image, null);
        var beside = ReadAll(image, () => true);
        Assert.Equal(SHA256.HashData(image), alone.Hash);
        Assert.Equal(alone.Hash, beside.Hash);
        Assert.Equal(image.Length, beside.Bytes);
        Assert.Equal(TimeSpan.Zero, alone.Rested);
        Assert.True(beside.Rested > TimeSpan.Zero, "the reader never rested for the writer");
        Assert.Equal(TimeSpan.Zero, ReadAll(image, () => false).Rested);
    }

    [Fact]
    public void An_incremental_backup_rests_for_an_application_committing_in_another_process_and_not_without_one()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 6000);
        RepositoryTarget.WriteStats? quiet, busy;
        using (var store = new LocalDirectoryStore(t["repo"], new StoreOptions { Create = true }))
            IncrementalBackup.Create(new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = SqliteBackup.Core.Verification.VerificationLevel.Quick },
                store, t["repo"], t["repo"], NullLogger.Instance, null, default, out quiet);
        busy = null;
        using (var writer = new Writer(t["live.db"], paced: true))
        using (var store = new LocalDirectoryStore(t["repo"], new StoreOptions { Create = true }))
        {
            // A writer starved of CPU for a tenth of a second looks idle (then the backup API is the right choice): on a
            // loaded test machine that can happen once, not three times in a row.
            for (int i = 0; i < 3 && busy == null; i++)
            {
                var b = IncrementalBackup.Create(new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = SqliteBackup.Core.Verification.VerificationLevel.Quick },
                    store, t["repo"], t["repo"], NullLogger.Instance, null, default, out var stats);
                if (b.Manifest.SnapshotMethod == SnapshotMethod.FileRead) busy = stats;
            }
            Assert.True(busy != null, "three incremental backups beside a committing writer all went through the backup API");
        }
        Assert.Equal(TimeSpan.Zero, quiet!.Rested);
        Assert.True(busy!.Rested > TimeSpan.Zero, "the backup never rested while the writer committed");
    }
}
