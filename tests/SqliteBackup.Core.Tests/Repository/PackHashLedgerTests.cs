using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Trust;
using SqliteBackup.Core.Verification;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// A Standard backup into a directory trusts a shared pack only while its file is provably the one hashed before, and
/// re-reads a rolling share of those it could trust; the record says which were trusted.
/// </summary>
public sealed class PackHashLedgerTests
{
    static readonly TimeSpan PastTheMargin = PackHashLedger.RacyMargin + TimeSpan.FromMilliseconds(200);

    static BackupInfo Standard(string db, string repo)
    {
        using var store = new LocalDirectoryStore(repo);
        var request = new BackupRequest(db) { Destination = repo, Incremental = true, Verify = VerificationLevel.Standard };
        return IncrementalBackup.Create(request, store, repo, repo, NullLogger.Instance);
    }

    static void Change(string db, int row) => Db.Exec(db, $"UPDATE filler SET pad = randomblob(1000) WHERE id = {row}; PRAGMA wal_checkpoint(TRUNCATE);");

    static PackHashLedger Ledger(string repo) => PackHashLedger.Parse(File.ReadAllBytes(Path.Combine(repo, PackHashLedger.Name)))!;

    /// <summary>
    /// Three snapshots, far enough apart that each pack's last change is outside the racy margin of its hash: after
    /// them the ledger vouches for the first snapshot's pack (A, hashed last) and the second's (B, hashed before A), so
    /// the next backup re-reads B as its rolling share and trusts A.
    /// </summary>
    static string History(TempDir t)
    {
        Skip.IfNot(Posix.Supported, "file identity needs statx/stat");
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        Directory.CreateDirectory(t["repo"]);
        var a = Standard(t["live.db"], t["repo"]).Manifest.Repository!.AddedPacks.Single();
        Thread.Sleep(PastTheMargin);
        Change(t["live.db"], 100);
        Standard(t["live.db"], t["repo"]);
        Thread.Sleep(PastTheMargin);
        Change(t["live.db"], 1500);
        Standard(t["live.db"], t["repo"]);
        Assert.NotNull(Ledger(t["repo"])[a]);
        Change(t["live.db"], 2900);
        return a;
    }

    [SkippableFact]
    public void A_shared_pack_unchanged_since_it_was_hashed_is_trusted_and_the_record_says_so()
    {
        using var t = new TempDir();
        string a = History(t);

        var fourth = Standard(t["live.db"], t["repo"]);

        var record = fourth.Manifest.Verifications.Single();
        Assert.Equal(VerificationOutcome.Passed, record.Result);
        Assert.Contains("ReusedPacks:", record.Message);
        Assert.Contains("1 trusted: their files are unchanged since they were hashed", record.Message);
        Assert.Contains(a, fourth.Manifest.Repository!.Packs.Select(p => p.Name));
        // Test-SqliteBackup Standard still reads every pack of it.
        var checkedAgain = new BackupVerifier().Verify(fourth, VerificationLevel.Standard);
        Assert.True(checkedAgain.Passed, checkedAgain.Message);
    }

    [SkippableFact]
    public void A_trusted_shared_pack_with_a_byte_flipped_in_place_fails_the_Standard_backup_with_no_manifest()
    {
        using var t = new TempDir();
        string a = History(t);
        // In place: same file, same size, same inode; only its times move.
        using (var f = new FileStream(Path.Combine(t["repo"], a), FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = f.Length / 2;
            int b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 0x5a));
        }
        int manifests = Directory.GetFiles(t["repo"], "*" + BackupManifest.Suffix).Length;

        var e = Assert.Throws<SqliteBackupException>(() => Standard(t["live.db"], t["repo"]));

        Assert.Equal("BackupVerificationFailed", e.ErrorId);
        Assert.Contains(a, e.Message);
        Assert.Equal(manifests, Directory.GetFiles(t["repo"], "*" + BackupManifest.Suffix).Length);
    }

    static PackRef Pack(char c, long size = 100) => new(RepositoryNames.Pack(new string(c, 64)), size);

    static FileStatus Status(long size, ulong inode, long changedNs) => new(0x81a4, 0, 0, 1, 1, inode, size, changedNs, changedNs);

    static readonly DateTime Hashed = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);
    static long Ns(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks * 100;

    [Fact]
    public void A_record_vouches_only_for_the_same_file_unchanged_and_changed_well_before_its_hash()
    {
        long before = Ns(Hashed - TimeSpan.FromSeconds(10));
        var entry = PackHashLedger.Entry.Of(Status(100, 5, before), Hashed);
        var margin = TimeSpan.FromSeconds(2);

        Assert.True(entry.Vouches(Status(100, 5, before), 100, margin));
        Assert.False(entry.Vouches(Status(100, 5, before + 1), 100, margin));     // a rewrite or an in-place change
        Assert.False(entry.Vouches(Status(100, 6, before), 100, margin));         // another file under the name
        Assert.False(entry.Vouches(Status(101, 5, before), 101, margin));         // another size
        Assert.False(entry.Vouches(Status(100, 5, before), 99, margin));          // not the size the snapshot records
        // Changed within the margin before the hash: a later change could carry the same coarse times.
        long close = Ns(Hashed - TimeSpan.FromSeconds(1));
        Assert.False(PackHashLedger.Entry.Of(Status(100, 5, close), Hashed).Vouches(Status(100, 5, close), 100, margin));
    }

    [Fact]
    public void Unknown_packs_are_hashed_and_of_the_vouched_ones_the_oldest_hashed_eighth_is_re_read()
    {
        var ledger = PackHashLedger.Empty();
        var packs = "abcdefghij".Select(c => Pack(c)).ToList();
        long changed = Ns(Hashed - TimeSpan.FromHours(1));
        // Nine vouched, hashed one minute apart in reverse order (j oldest); 'a' has no record.
        for (int i = 1; i < packs.Count; i++) ledger.Record(packs[i].Name, PackHashLedger.Entry.Of(Status(100, (ulong)i, changed), Hashed.AddMinutes(-i)));

        var plan = ledger.Split(packs, name => Status(100, (ulong)packs.FindIndex(p => p.Name == name), changed), PackHashLedger.RacyMargin);

        Assert.Equal(1, plan.Changed);
        Assert.Equal(2, plan.Rolling);                                               // ceil(9 / 8)
        Assert.Equal([packs[0].Name, packs[9].Name, packs[8].Name], plan.Hash.Select(p => p.Name));
        Assert.Equal(7, plan.Trusted.Count);
        Assert.Equal(Hashed.AddMinutes(-7), plan.OldestTrustedHashUtc);
        // A pack whose status cannot be read is hashed.
        Assert.Equal(packs.Count, ledger.Split(packs, _ => null, PackHashLedger.RacyMargin).Hash.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"schema\":\"sqlitebackup-pack-hashes\",\"schemaVersion\":2,\"packs\":{}}")]
    [InlineData("{\"schema\":\"other\",\"schemaVersion\":1,\"packs\":{}}")]
    public void A_damaged_or_unknown_ledger_is_no_ledger(string json) =>
        Assert.Null(PackHashLedger.Parse(Encoding.UTF8.GetBytes(json)));

    [SkippableFact]
    public void A_damaged_ledger_makes_the_backup_hash_every_shared_pack_and_is_replaced()
    {
        using var t = new TempDir();
        History(t);
        File.WriteAllText(Path.Combine(t["repo"], PackHashLedger.Name), "{ damaged");

        var fourth = Standard(t["live.db"], t["repo"]);

        Assert.Equal(VerificationOutcome.Passed, fourth.Manifest.Verifications.Single().Result);
        Assert.DoesNotContain("trusted", fourth.Manifest.Verifications.Single().Message);
        Assert.True(Ledger(t["repo"]).Count >= 2);
    }
    [Fact]
    public void A_record_hashed_in_the_future_vouches_for_nothing()
    {
        // A clock that was once far ahead (an unset real-time clock before NTP) would otherwise leave a record that is
        // trusted and, as the newest, never picked for the rolling re-read until the real time catches up.
        var pack = Pack('a');
        long changed = Ns(DateTime.UtcNow - TimeSpan.FromHours(1));
        var ledger = PackHashLedger.Empty();
        ledger.Record(pack.Name, PackHashLedger.Entry.Of(Status(100, 1, changed), DateTime.UtcNow.AddYears(3)));

        var plan = ledger.Split([pack], _ => Status(100, 1, changed), PackHashLedger.RacyMargin);

        Assert.Equal([pack.Name], plan.Hash.Select(p => p.Name));
        Assert.Equal(1, plan.Changed);
    }

    [SkippableFact]
    public void A_ledger_another_user_planted_is_not_believed_and_the_damaged_pack_it_vouches_for_fails_the_backup()
    {
        LocalUser.RequireRoot();
        using var t = new TempDir();
        string a = History(t);
        string path = Path.Combine(t["repo"], a);
        using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = f.Length / 2;
            int b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 0x5a));
        }
        Thread.Sleep(PastTheMargin);
        // The forger records the damaged file's identity as hashed just now, the newest record: not the rolling share.
        var forged = Ledger(t["repo"]);
        forged.Record(a, PackHashLedger.Entry.Of(Posix.Lstat(path)!.Value, DateTime.UtcNow));
        using (var store = new LocalDirectoryStore(t["repo"])) forged.Save(store, NullLogger.Instance, default);
        using var user = new LocalUser();
        user.Owns(Path.Combine(t["repo"], PackHashLedger.Name));

        var e = Assert.Throws<SqliteBackupException>(() => Standard(t["live.db"], t["repo"]));

        Assert.Equal("BackupVerificationFailed", e.ErrorId);
        Assert.Contains(a, e.Message);
    }
}
