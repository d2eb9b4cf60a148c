using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

public sealed class StaleUploadsAndLockPeriodTests
{
    static readonly DateTime Created = new(2026, 1, 31, 2, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(30, 0, 0, 0, "2026-03-02T02:00:00")]   // KeepDaily 30: 30 days
    [InlineData(30, 12, 0, 0, "2026-04-25T02:00:00")]  // KeepWeekly 12 reaches further: 84 days
    [InlineData(30, 12, 12, 0, "2027-01-31T02:00:00")] // KeepMonthly 12: twelve calendar months
    [InlineData(0, 0, 1, 2, "2028-01-31T02:00:00")]    // KeepYearly 2
    public void A_lock_lasts_as_long_as_the_longest_rule_could_keep_the_backup(int daily, int weekly, int monthly, int yearly, string until)
    {
        var policy = new RetentionPolicy { KeepDaily = daily, KeepWeekly = weekly, KeepMonthly = monthly, KeepYearly = yearly };
        Assert.Equal(DateTime.Parse(until + "Z").ToUniversalTime(), LockPeriod.RetainUntil(policy, Created));
    }

    [Fact]
    public void Windows_count_and_rules_without_a_time_bound_set_no_date_of_their_own()
    {
        Assert.Equal(Created.AddMonths(18), LockPeriod.RetainUntil(new RetentionPolicy { KeepDaily = 7, KeepWithin = RetentionDuration.Parse("1y6m") }, Created));
        Assert.Equal(Created.AddMonths(12), LockPeriod.RetainUntil(RetentionPolicy.Default, Created));
        Assert.Null(LockPeriod.RetainUntil(new RetentionPolicy { KeepLast = 5, KeepDaily = -1 }, Created));
    }

    [Fact]
    public void A_cleanup_that_fails_is_a_warning_and_the_copy_goes_on_and_each_store_is_cleaned_once()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var first = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["local"], Verify = VerificationLevel.Quick });
        var second = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["local"], Verify = VerificationLevel.Quick });
        var log = new ListLogger();
        using var store = new FailingCleanup(new LocalDirectoryStore(t["dest"], new StoreOptions { Create = true }));

        Assert.Equal(CopyStatus.Copied, new BackupCopier(log).Copy(first, store).Status);
        Assert.Equal(CopyStatus.Copied, new BackupCopier(log).Copy(second, store).Status);

        Assert.Equal(1, store.Calls);
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("Could not clean up unfinished uploads in", warning);
        Assert.Contains("the listing was refused", warning);
    }

    [Fact]
    public void Transfer_progress_shows_bytes_of_the_total_the_rate_and_the_time_left()
    {
        var rate = new TransferRate(100L << 20);
        Thread.Sleep(200);
        var p = rate.Progress("Copying x", 25L << 20, "to s3://b/p");
        Assert.Matches(@"^25(\.0)? MB of 100(\.0)? MB, [0-9.]+ [KMG]?B/s to s3://b/p$", p.Status);
        Assert.Equal(25, p.PercentComplete);
        Assert.InRange(p.SecondsRemaining, 0, 5);
    }

    sealed class FailingCleanup(IBackupStore inner) : IBackupStore, IStaleUploadCleanup
    {
        public int Calls;
        public TimeSpan StaleAfter => TimeSpan.FromHours(24);
        public int AbortStaleUploads(TimeSpan olderThan, CancellationToken ct = default)
        {
            Calls++;
            throw Errors.BackupErrors.StoreRequestFailed(Location, "the listing was refused");
        }
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);
        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default) => inner.Put(name, content, createOnly, progress, ct);
        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() => inner.Dispose();
    }
}
