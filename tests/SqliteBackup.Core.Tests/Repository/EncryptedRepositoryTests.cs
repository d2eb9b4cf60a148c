using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// Encrypted incremental repositories: packs are age files to the repository key, block ids are keyed (HMAC), snapshot
/// manifests are signed like encrypted plain backups', and everything that reads a byte of a snapshot authenticates it
/// first; what needs no key (Quick, prune, copy, the check without keys) still works without one.
/// </summary>
public sealed class EncryptedRepositoryTests
{
    static readonly AgeX25519Identity Operator = AgeX25519Identity.Generate();
    static readonly AgeX25519Identity Recovery = AgeX25519Identity.Generate();
    static readonly AgeX25519Identity Stranger = AgeX25519Identity.Generate();

    static BackupEncryption ToOperator() => BackupEncryption.ToRecipients([Operator.Recipient, Recovery.Recipient], Operator);
    static BackupEncryption WithPassphrase(string p = "correct horse battery staple") => BackupEncryption.WithPassphrase(p, workFactor: 10);

    static (BackupInfo Backup, RepositoryTarget.WriteStats Stats) Snapshot(string db, string repo, BackupEncryption? encryption, VerificationLevel verify = VerificationLevel.Standard,
        Microsoft.Extensions.Logging.ILogger? log = null)
    {
        Directory.CreateDirectory(repo);
        using var store = new LocalDirectoryStore(repo);
        var request = new BackupRequest(db) { Destination = repo, Incremental = true, Verify = verify, Encryption = encryption };
        var backup = IncrementalBackup.Create(request, store, repo, repo, log ?? NullLogger.Instance, null, default, out var stats);
        return (backup, stats!);
    }

    static BackupInfo Listed(string repo, string file) => new BackupCatalog().List(repo).Single(b => b.Manifest.File == file);

    static string[] Files(string repo) => Directory.GetFiles(repo).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    static void Churn(string db) => Db.Exec(db, "UPDATE a SET v = v + 1 WHERE rowid % 97 = 0; UPDATE b SET v = v + 1 WHERE rowid % 97 = 0; INSERT INTO a(v) VALUES(7); INSERT INTO b(v) VALUES(7);");

    [SkippableFact]
    public void An_encrypted_repository_round_trips_with_a_recipient_key_and_holds_no_secret_in_clear()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        var log = new ListLogger();
        var (snap, _) = Snapshot(t["live.db"], t["repo"], ToOperator(), VerificationLevel.Full, log);

        var config = RepositoryConfig.Read(new LocalDirectoryStore(t["repo"]))!;
        Assert.Equal(RepositoryConfig.KeyedHash, config.Hash);
        Assert.Equal([Operator.Recipient.ToString(), Recovery.Recipient.ToString()], config.Encryption!.Recipients);
        Assert.False(config.Encryption.Passphrase);
        Assert.Equal(BackupManifest.EncryptedSchemaVersion, snap.Manifest.SchemaVersion);
        Assert.Equal(["zstd", "age"], snap.Manifest.Transforms);
        Assert.Equal(Operator.Recipient.ToString(), snap.Manifest.Encryption!.Writer);
        Assert.Equal(VerificationOutcome.Passed, snap.Manifest.Verifications.Single().Result);
        foreach (var f in Directory.GetFiles(t["repo"], "pack-*.pack").Append(t["repo/" + RepositoryKey.ObjectName]))
            Assert.StartsWith("age-encryption.org/v1\n", Encoding.ASCII.GetString(File.ReadAllBytes(f), 0, 22));
        // No secret anywhere in clear: not in the config, the manifests, the indexes, the key object or the log.
        foreach (var f in Directory.GetFiles(t["repo"]))
            Assert.DoesNotContain("AGE-SECRET-KEY", Encoding.Latin1.GetString(File.ReadAllBytes(f)), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(log.Messages, m => m.Contains("AGE-SECRET-KEY", StringComparison.OrdinalIgnoreCase));

        var listed = Listed(t["repo"], snap.Manifest.File);
        foreach (var keys in new[] { new BackupKeys([Operator]), new BackupKeys([Recovery], trustedWriters: [Operator.Recipient]) })
        {
            foreach (var level in new[] { VerificationLevel.Standard, VerificationLevel.Full })
            {
                var r = new BackupVerifier(null, null, keys).Verify(listed, level);
                Assert.True(r.Passed, r.Message);
                Assert.Contains(r.Checks, c => c.Name == "Authentic" && c.Passed);
            }
            string target = t[$"restored-{keys.Identities[0].Recipient.ToString()[..12]}.db"];
            var restored = new Restorer().Restore(listed, new RestoreRequest(target) { Keys = keys });
            Assert.Equal(snap.Manifest.RawSha256, Db.Sha(restored.Destination));
        }
    }

    [SkippableFact]
    public void A_passphrase_repository_round_trips_and_a_wrong_passphrase_is_told_apart_from_a_forgery()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 500);
        var (snap, _) = Snapshot(t["live.db"], t["repo"], WithPassphrase());
        Assert.True(RepositoryConfig.Read(new LocalDirectoryStore(t["repo"]))!.Encryption!.Passphrase);
        Churn(t["live.db"]);
        var (second, stats) = Snapshot(t["live.db"], t["repo"], WithPassphrase());
        Assert.Equal(snap.Manifest.Id, second.Manifest.Repository!.Parent);

        var listed = Listed(t["repo"], second.Manifest.File);
        var r = new BackupVerifier(null, null, BackupKeys.FromPassphrase("correct horse battery staple")).Verify(listed, VerificationLevel.Full);
        Assert.True(r.Passed, r.Message);
        var restored = new Restorer().Restore(listed, new RestoreRequest(t["restored.db"]) { Keys = BackupKeys.FromPassphrase("correct horse battery staple") });
        Assert.Equal(second.Manifest.RawSha256, Db.Sha(restored.Destination));

        var wrong = new BackupVerifier(null, null, BackupKeys.FromPassphrase("not it")).Verify(listed, VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Inconclusive, wrong.Outcome);
        Assert.Equal("EncryptionWrongIdentity", wrong.Error!.ErrorId);
        // A writer with another passphrase cannot write into it either (it cannot open the repository key).
        var e = Assert.Throws<SqliteBackupException>(() => Snapshot(t["live.db"], t["repo"], WithPassphrase("not it")));
        Assert.Equal("EncryptionWrongIdentity", e.ErrorId);
    }

    [SkippableFact]
    public void Dedup_still_works_and_no_plain_text_SHA256_of_any_block_appears_in_the_repository()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        var (first, firstStats) = Snapshot(t["live.db"], t["repo"], ToOperator(), VerificationLevel.Quick);
        Churn(t["live.db"]);
        var (second, stats) = Snapshot(t["live.db"], t["repo"], ToOperator(), VerificationLevel.Quick);
        Assert.Equal(first.Manifest.Id, stats.Parent);
        Assert.InRange(stats.NewBlocks, 1, 40);
        Assert.True(second.Manifest.Repository!.AddedSize < first.Manifest.Repository!.AddedSize / 10,
            $"the second snapshot added {second.Manifest.Repository.AddedSize} bytes, the first {first.Manifest.Repository.AddedSize}");

        // Every plain-text block hash of both images, as hex and as raw bytes, against every name and byte in the repository.
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var snap in new[] { first, second })
        {
            string image = t[snap.Manifest.Id + ".db"];
            new Restorer().Restore(Listed(t["repo"], snap.Manifest.File), new RestoreRequest(image) { Keys = new BackupKeys([Operator]) });
            var bytes = File.ReadAllBytes(image);
            for (int at = 0; at < bytes.Length; at += 4096) hashes.Add(Convert.ToHexString(SHA256.HashData(bytes.AsSpan(at, Math.Min(4096, bytes.Length - at)))).ToLowerInvariant());
        }
        Assert.True(hashes.Count > 100);
        AssertNoneAppear(t["repo"], hashes);

        // The same search finds them in an unencrypted repository: it is not a search that cannot fail.
        Snapshot(t["live.db"], t["plain-repo"], null, VerificationLevel.Quick);
        Assert.Throws<Xunit.Sdk.FailException>(() => AssertNoneAppear(t["plain-repo"], hashes));
    }

    static void AssertNoneAppear(string repo, HashSet<string> hexHashes)
    {
        var prefixes = hexHashes.Select(h => Convert.ToHexString(Convert.FromHexString(h)[..16])).ToHashSet(StringComparer.Ordinal);
        foreach (var f in Directory.GetFiles(repo))
        {
            string name = Path.GetFileName(f);
            foreach (var h in hexHashes) if (name.Contains(h, StringComparison.Ordinal)) Assert.Fail($"{name} names a plain block hash");
            var bytes = File.ReadAllBytes(f);
            string text = Encoding.Latin1.GetString(bytes);
            // Raw 32-byte hashes (as an index holds them), by their first 16 bytes at every offset; and as hex text.
            var hex = Convert.ToHexString(bytes);
            for (int i = 0; i + 32 <= hex.Length; i += 2)
                if (prefixes.Contains(hex.Substring(i, 32))) Assert.Fail($"{name} holds a plain block hash at byte {i / 2}");
            foreach (var h in hexHashes) if (text.Contains(h, StringComparison.OrdinalIgnoreCase)) Assert.Fail($"{name} holds a plain block hash as text");
        }
    }

    [SkippableFact]
    public void Quick_needs_no_key_Standard_and_restore_need_the_right_one_and_a_tampered_pack_is_refused()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 1000);
        var (snap, _) = Snapshot(t["live.db"], t["repo"], ToOperator());
        var listed = Listed(t["repo"], snap.Manifest.File);

        var quick = new BackupVerifier().Verify(listed, VerificationLevel.Quick);
        Assert.True(quick.Passed, quick.Message);
        Assert.Contains("authenticity was not checked", quick.Message);

        var missing = new BackupVerifier().Verify(listed, VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Inconclusive, missing.Outcome);
        Assert.Equal("EncryptionIdentityMissing", missing.Error!.ErrorId);
        var wrong = new BackupVerifier(null, null, new BackupKeys([Stranger])).Verify(listed, VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Inconclusive, wrong.Outcome);
        Assert.Equal("EncryptionWrongIdentity", wrong.Error!.ErrorId);
        Assert.Equal("EncryptionIdentityMissing", Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(listed, new RestoreRequest(t["r1.db"]))).ErrorId);
        Assert.Equal("EncryptionWrongIdentity", Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(listed, new RestoreRequest(t["r2.db"]) { Keys = new BackupKeys([Stranger]) })).ErrorId);
        // A recovery key that does not name the writer as trusted cannot tell a forgery from the real thing.
        Assert.Equal("BackupNotAuthentic", Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(listed, new RestoreRequest(t["r3.db"]) { Keys = new BackupKeys([Recovery]) })).ErrorId);

        // One byte of a pack's ciphertext flipped: same size, so Quick still passes; Standard and restore refuse it.
        string pack = Path.Combine(t["repo"], snap.Manifest.Repository!.Packs[0].Name);
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(pack, bytes);
        var keys = new BackupKeys([Operator]);
        var standard = new BackupVerifier(null, null, keys).Verify(listed, VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Failed, standard.Outcome);
        Assert.Contains("does not authenticate", standard.Message);
        var e = Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(listed, new RestoreRequest(t["r4.db"]) { Keys = keys }));
        Assert.Equal("RepositoryDamaged", e.ErrorId);
        Assert.False(File.Exists(t["r4.db"]));
    }

    [SkippableFact]
    public void A_changed_or_stripped_manifest_is_not_authentic()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 300);
        var (snap, _) = Snapshot(t["live.db"], t["repo"], ToOperator());
        var path = Listed(t["repo"], snap.Manifest.File).ManifestPath;
        var keys = new BackupKeys([Operator]);
        string original = File.ReadAllText(path);

        // A MAC that is not the writer's.
        var changed = BackupManifest.TryParse(Encoding.UTF8.GetBytes(original), out _)!;
        var mac = changed.Encryption!.Macs[0].ToCharArray();
        mac[10] = mac[10] == '0' ? '1' : '0';
        changed.Encryption.Macs[0] = new string(mac);
        File.WriteAllBytes(path, changed.ToJson());
        var r = new BackupVerifier(null, null, keys).Verify(Listed(t["repo"], snap.Manifest.File), VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
        Assert.Contains(r.Checks, c => c.Name == "Authentic" && c.Outcome == VerificationOutcome.Failed);
        using (var s = new LocalDirectoryStore(t["repo"]))
            Assert.Contains(RepositoryCheck.Run(s, keys: keys).Problems, p => p.Problem.Contains("not an authentic backup"));

        // Encryption and MACs stripped: an unsigned snapshot in an encrypted repository is refused, not trusted.
        var stripped = BackupManifest.TryParse(Encoding.UTF8.GetBytes(original), out _)!;
        stripped.Encryption = null;
        stripped.Transforms = null;
        stripped.SchemaVersion = BackupManifest.SnapshotSchemaVersion;
        File.WriteAllBytes(path, stripped.ToJson());
        var listed = Listed(t["repo"], snap.Manifest.File);
        r = new BackupVerifier(null, null, keys).Verify(listed, VerificationLevel.Standard);
        Assert.Equal(VerificationOutcome.Failed, r.Outcome);
        Assert.Contains("carries no MAC", r.Message);
        Assert.Equal("BackupNotAuthentic", Assert.Throws<SqliteBackupException>(() => new Restorer().Restore(listed, new RestoreRequest(t["r.db"]) { Keys = keys })).ErrorId);
        // The repository check names it too, with a key or without.
        using var store = new LocalDirectoryStore(t["repo"]);
        foreach (var k in new[] { keys, null })
            Assert.Contains(RepositoryCheck.Run(store, keys: k).Problems, p => p.Object == snap.Manifest.File + BackupManifest.Suffix && p.Problem.Contains("carries no MAC"));
    }

    [SkippableFact]
    public void A_writer_that_is_not_a_recipient_verifies_at_Standard_and_Full_with_the_repository_key_and_finds_a_damaged_pack()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 3000);
        // The operator writes, only the recovery key reads: the writer can not open its snapshots' manifests as a
        // recipient, but it unlocks the repository key (encrypted to it too), and that is what the checks need.
        var writerOnly = BackupEncryption.ToRecipients([Recovery.Recipient], Operator);
        var log = new ListLogger();
        var (first, _) = Snapshot(t["live.db"], t["repo"], writerOnly, VerificationLevel.Standard, log);
        var standard = first.Manifest.Verifications.Single();
        Assert.Equal(VerificationLevel.Standard, standard.Level);
        Assert.Equal(VerificationOutcome.Passed, standard.Result);
        Assert.DoesNotContain(log.Messages, m => m.Contains("Quick level only"));
        Churn(t["live.db"]);
        var (full, _) = Snapshot(t["live.db"], t["repo"], writerOnly, VerificationLevel.Full, log);
        Assert.Equal(VerificationLevel.Full, full.Manifest.Verifications.Single().Level);
        Assert.Equal(VerificationOutcome.Passed, full.Manifest.Verifications.Single().Result);

        // Bit rot in a pack the next snapshot shares: same size, one byte different. At Quick it would pass.
        string pack = first.Manifest.Repository!.Packs[0].Name;
        var bytes = File.ReadAllBytes(t["repo/" + pack]);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(t["repo/" + pack], bytes);
        Churn(t["live.db"]);
        var e = Assert.Throws<SqliteBackupException>(() => Snapshot(t["live.db"], t["repo"], writerOnly, VerificationLevel.Standard));
        Assert.Equal("BackupVerificationFailed", e.ErrorId);
        Assert.Contains(pack, e.Message);
        Assert.Equal(2, Directory.GetFiles(t["repo"], "*" + BackupManifest.Suffix).Length);
    }

    [SkippableFact]
    public void Mixing_encrypted_and_unencrypted_or_other_recipients_is_refused_with_nothing_written()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 100);
        Snapshot(t["live.db"], t["plain"], null, VerificationLevel.Quick);
        Snapshot(t["live.db"], t["enc"], ToOperator(), VerificationLevel.Quick);
        var cases = new (string Repo, BackupEncryption? Encryption)[]
        {
            (t["plain"], ToOperator()),
            (t["enc"], null),
            (t["enc"], BackupEncryption.ToRecipients([Operator.Recipient], Operator)),
            (t["enc"], WithPassphrase()),
        };
        foreach (var (repo, encryption) in cases)
        {
            var before = Files(repo);
            var e = Assert.Throws<SqliteBackupException>(() => Snapshot(t["live.db"], repo, encryption, VerificationLevel.Quick));
            Assert.Equal("RepositoryEncryptionMismatch", e.ErrorId);
            Assert.DoesNotContain("AGE-SECRET-KEY", e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(before, Files(repo));
        }
    }

    [SkippableFact]
    public void Prune_copy_and_the_check_work_without_a_key_and_the_copy_restores_with_one()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 2000);
        var (first, _) = Snapshot(t["live.db"], t["repo"], ToOperator(), VerificationLevel.Quick);
        // Another database under the same name: none of the first snapshot's blocks is needed any more.
        foreach (var f in Directory.GetFiles(t.Path, "live.db*")) File.Delete(f);
        Db.Exec(t["live.db"], "CREATE TABLE other(pad); INSERT INTO other SELECT randomblob(900) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n);");
        var (second, _) = Snapshot(t["live.db"], t["repo"], ToOperator(), VerificationLevel.Quick);
        var store = new LocalDirectoryStore(t["repo"]);

        var check = RepositoryCheck.Run(store);
        Assert.True(check.Sound, string.Join("; ", check.Problems.Select(p => p.Problem)));
        Assert.True(check.BlocksUnchecked);
        var keyed = RepositoryCheck.Run(store, keys: new BackupKeys([Operator]));
        Assert.True(keyed.Sound, string.Join("; ", keyed.Problems.Select(p => p.Problem)));
        Assert.False(keyed.BlocksUnchecked);

        // Copied with no identity at all: packs, indexes, the key object (still encrypted) and the config.
        using (var destination = new LocalDirectoryStore(t["offsite"], new SqliteBackup.Core.Storage.StoreOptions { Create = true }))
            new RepositoryCopier().Copy(Listed(t["repo"], second.Manifest.File), store, destination);
        Assert.Equal(File.ReadAllBytes(t["repo/" + RepositoryKey.ObjectName]), File.ReadAllBytes(t["offsite/" + RepositoryKey.ObjectName]));
        var copied = Listed(t["offsite"], second.Manifest.File);
        Assert.True(new BackupVerifier().Verify(copied, VerificationLevel.Quick).Passed);
        var restored = new Restorer().Restore(copied, new RestoreRequest(t["from-offsite.db"]) { Keys = new BackupKeys([Operator]) });
        Assert.Equal(second.Manifest.RawSha256, Db.Sha(restored.Destination));
        // Exported from the copy as a plain backup: encrypted as the repository is, never in clear (EncryptedExportTests).
        using (var plainDestination = new LocalDirectoryStore(t["exported"], new SqliteBackup.Core.Storage.StoreOptions { Create = true }))
            Assert.EndsWith(".db.zst.age", new SnapshotExporter { Keys = new BackupKeys([Operator]) }.Export(copied, plainDestination).Copy.Manifest.File);

        // Rotation removed the first snapshot: prune frees the packs only it used, keyless.
        File.Delete(Listed(t["repo"], first.Manifest.File).ManifestPath);
        var onlyFirst = first.Manifest.Repository!.AddedPacks.Except(second.Manifest.Repository!.Packs.Select(p => p.Name)).ToList();
        Assert.NotEmpty(onlyFirst);
        var pruned = RepositoryPruner.Prune(store, whatIf: false, NullLogger.Instance, DateTime.UtcNow.AddHours(2));
        Assert.True(pruned.BytesFreed > 0);
        Assert.All(onlyFirst, p => Assert.False(File.Exists(Path.Combine(t["repo"], p))));
        Assert.True(File.Exists(t["repo/" + RepositoryKey.ObjectName]));
        var after = new Restorer().Restore(Listed(t["repo"], second.Manifest.File), new RestoreRequest(t["after-prune.db"]) { Keys = new BackupKeys([Operator]) });
        Assert.Equal(second.Manifest.RawSha256, Db.Sha(after.Destination));
    }

    [Fact]
    public void Writers_racing_to_create_the_repository_share_one_key()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["repo"]);
        var results = new (string PackKey, string Opened)[6];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(results.Length);
        var threads = Enumerable.Range(0, results.Length).Select(i => new Thread(() =>
        {
            // Caught here: an exception escaping a thread would crash the whole test host.
            try
            {
                using var store = new LocalDirectoryStore(t["repo"]);
                start.SignalAndWait();
                var config = RepositoryConfig.OpenOrCreate(store, null, ToOperator(), out var key);
                results[i] = (config.Encryption!.PackKey, key!.PackRecipient.ToString());
            }
            catch (Exception e) { failures.Enqueue(e); }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        Assert.Empty(failures);
        Assert.Single(results.Select(r => r.PackKey).Distinct());
        Assert.All(results, r => Assert.Equal(r.PackKey, r.Opened));
        Assert.Single(Directory.GetFiles(t["repo"], "*.key.age"));
    }

    [SkippableFact]
    public void Backups_in_three_processes_creating_the_repository_at_once_all_succeed_with_one_key()
    {
        using var t = new TempDir();
        File.WriteAllText(t["operator.key"], AgeIdentityFile.Render(Operator, DateTimeOffset.UtcNow));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(t["operator.key"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // Each child warms up (a backup into its own repository) before it says it is ready, so that the three reach
        // the shared repository's creation within milliseconds of the go signal.
        const string script = "$p = @{ Incremental = $true; Recipient = $env:SBT_R1, $env:SBT_R2; IdentityFile = $env:SBT_KEY; VerificationLevel = 'Quick' }; " +
            "New-SqliteBackup -LiteralPath $env:SBT_DB -BackupPath $env:SBT_WARM @p | Out-Null; 'ready'; " +
            "while (-not (Test-Path $env:SBT_GO)) { Start-Sleep -Milliseconds 1 }; " +
            "New-SqliteBackup -LiteralPath $env:SBT_DB -BackupPath $env:SBT_REPO @p | Out-Null; 'done'";
        var children = new List<PwshChild>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                Db.CreatePaired(t[$"db{i}.db"], wal: true, fillerRows: 200 + i);
                children.Add(new PwshChild(script, new Dictionary<string, string>
                {
                    ["SBT_DB"] = t[$"db{i}.db"], ["SBT_WARM"] = t[$"warm{i}"], ["SBT_REPO"] = t["repo"], ["SBT_GO"] = t["go"],
                    ["SBT_R1"] = Operator.Recipient.ToString(), ["SBT_R2"] = Recovery.Recipient.ToString(), ["SBT_KEY"] = t["operator.key"],
                }));
            }
            foreach (var c in children) c.WaitFor("ready", TimeSpan.FromMinutes(2));
            File.WriteAllText(t["go"], "");
            foreach (var c in children)
            {
                var (code, output) = c.Finish(TimeSpan.FromMinutes(2));
                Assert.True(code == 0, output);
                Assert.DoesNotContain("AGE-SECRET-KEY", output, StringComparison.OrdinalIgnoreCase);
            }
        }
        finally
        {
            foreach (var c in children) c.Dispose();
        }
        Assert.Single(Directory.GetFiles(t["repo"], "*.key.age"));
        var snapshots = new BackupCatalog().List(t["repo"]);
        Assert.Equal(3, snapshots.Count);
        foreach (var b in snapshots)
        {
            var restored = new Restorer().Restore(b, new RestoreRequest(t[b.Manifest.Id + ".db"]) { Keys = new BackupKeys([Operator]) });
            Assert.Equal(b.Manifest.RawSha256, Db.Sha(restored.Destination));
        }
    }

    [SkippableFact]
    public void The_age_program_decrypts_the_key_object_and_with_it_a_pack_to_its_zstd_frames()
    {
        Cli.Require("age");
        Cli.Require("zstd");
        using var t = new TempDir();
        File.WriteAllText(t["operator.key"], AgeIdentityFile.Render(Operator, DateTimeOffset.UtcNow));
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 200);
        var (snap, _) = Snapshot(t["live.db"], t["repo"], ToOperator(), VerificationLevel.Quick);

        var key = Cli.Run("age", "-d", "-i", t["operator.key"], "-o", t["repo.key"], t["repo/" + RepositoryKey.ObjectName]);
        Assert.True(key.Code == 0, key.Err);
        string pack = snap.Manifest.Repository!.Packs[0].Name;
        var frames = Cli.Run("age", "-d", "-i", t["repo.key"], "-o", t["frames.zst"], t["repo/" + pack]);
        Assert.True(frames.Code == 0, frames.Err);
        var d = Cli.Run("zstd", "-d", "-q", "-f", t["frames.zst"], "-o", t["blocks.bin"]);
        Assert.True(d.Code == 0, d.Err);
        using var store = new LocalDirectoryStore(t["repo"]);
        var index = PackIndex.Read(store, pack);
        var blocks = File.ReadAllBytes(t["blocks.bin"]);
        Assert.Equal(index.Sum(e => (long)e.RawLength), blocks.Length);
        using var repositoryKey = RepositoryKey.Open(store, new BackupKeys([Operator]));
        Assert.Equal(index[0].Hash, repositoryKey.BlockId(blocks.AsSpan(0, index[0].RawLength)));
    }
}
