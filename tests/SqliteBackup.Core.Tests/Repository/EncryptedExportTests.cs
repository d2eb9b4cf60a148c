using Microsoft.Extensions.Logging.Abstractions;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Repository;
using SqliteBackup.Core.Restore;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Local;
using SqliteBackup.Core.Verification;
using Xunit;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// Copy-SqliteBackup -AsPlain of a snapshot from an encrypted repository: exported as a .db.zst.age plain backup to the
/// repository's recipients (or its passphrase), its manifest sealed as an encrypted backup's, opened by the keys given.
/// </summary>
public sealed class EncryptedExportTests
{
    static readonly AgeX25519Identity Operator = AgeX25519Identity.Generate();
    static readonly AgeX25519Identity Recovery = AgeX25519Identity.Generate();
    static readonly AgeX25519Identity Stranger = AgeX25519Identity.Generate();
    const string Phrase = "correct horse battery staple";

    static BackupInfo Snapshot(TempDir t, BackupEncryption encryption)
    {
        Db.CreatePaired(t["live.db"], wal: true, fillerRows: 800);
        Directory.CreateDirectory(t["repo"]);
        using var store = new LocalDirectoryStore(t["repo"]);
        var request = new BackupRequest(t["live.db"]) { Destination = t["repo"], Incremental = true, Verify = VerificationLevel.Quick, Encryption = encryption };
        var snap = IncrementalBackup.Create(request, store, t["repo"], t["repo"], NullLogger.Instance);
        return new BackupCatalog().List(t["repo"]).Single(b => b.Manifest.File == snap.Manifest.File);
    }

    /// <summary>Exports, checking at every progress report that the plaintext scratch copy is private to its owner.</summary>
    static (CopyResult Result, List<string> Seen) Export(TempDir t, BackupInfo snapshot, BackupKeys? keys)
    {
        var seen = new List<string>();
        void Private(BackupProgress _)
        {
            if (OperatingSystem.IsWindows() || !Directory.Exists(t["scratch"])) return;
            foreach (var entry in Directory.EnumerateFileSystemEntries(t["scratch"], "*", SearchOption.AllDirectories))
            {
                var mode = File.GetUnixFileMode(entry);
                Assert.True((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) == 0,
                    $"{entry} is {mode}");
                seen.Add(Path.GetFileName(entry));
            }
        }
        using var destination = new LocalDirectoryStore(t["export"], new StoreOptions { Create = true });
        var result = new SnapshotExporter(NullLogger.Instance, t["scratch"]) { Keys = keys }.Export(snapshot, destination, Private);
        return (result, seen);
    }

    static string[] Left(TempDir t, string dir) =>
        Directory.Exists(t[dir]) ? Directory.GetFileSystemEntries(t[dir]).Select(p => Path.GetFileName(p)).ToArray() : [];

    [SkippableFact]
    public void An_encrypted_snapshot_exports_as_an_age_file_that_age_zstd_and_sqlite3_read()
    {
        Cli.Require("age");
        Cli.Require("zstd");
        Cli.Require("sqlite3");
        using var t = new TempDir();
        var snap = Snapshot(t, BackupEncryption.ToRecipients([Operator.Recipient, Recovery.Recipient], Operator));
        var (result, seen) = Export(t, snap, new BackupKeys([Operator]));

        Assert.Equal(CopyStatus.Copied, result.Status);
        var m = result.Copy.Manifest;
        Assert.EndsWith(".db.zst.age", m.File);
        Assert.False(m.IsSnapshot);
        Assert.Equal(BackupManifest.EncryptedSchemaVersion, m.SchemaVersion);
        Assert.Equal(["zstd", "age"], m.Transforms);
        Assert.Equal([Operator.Recipient.ToString(), Recovery.Recipient.ToString()], m.Encryption!.Recipients);
        Assert.Equal(Operator.Recipient.ToString(), m.Encryption.Writer);
        Assert.Equal(2, m.Encryption.Macs.Count);
        Assert.Equal(snap.Manifest.RawSha256, m.RawSha256);
        Assert.Contains(seen, s => s.EndsWith(".db", StringComparison.Ordinal));
        Assert.Empty(Left(t, "scratch"));
        Assert.Equal([m.File, m.File + BackupManifest.Suffix], Left(t, "export").Order(StringComparer.Ordinal));

        // The recovery key's holder reads it with nothing of ours: age, zstd, sqlite3.
        AgeIdentityFile.Write(t["recovery.key"], Recovery, force: false);
        var r = Cli.Run("sh", "-c", "age -d -i \"$1\" \"$2\" | zstd -d -q -o \"$3\"", "sh", t["recovery.key"], t["export/" + m.File], t["plain.db"]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(snap.Manifest.RawSha256, Db.Sha(t["plain.db"]));
        Assert.Equal(Db.Count(t["live.db"], "a").ToString(), Cli.Run("sqlite3", t["plain.db"], "SELECT count(*) FROM a").Out.Trim());

        // Our own Standard and restore authenticate it: the operator's key, and the recovery key trusting the operator as writer.
        var listed = new BackupCatalog().List(t["export"]).Single();
        foreach (var keys in new[] { new BackupKeys([Operator]), new BackupKeys([Recovery], trustedWriters: [Operator.Recipient]) })
        {
            var v = new BackupVerifier(null, null, keys).Verify(listed, VerificationLevel.Standard);
            Assert.True(v.Passed, v.Message);
            Assert.Contains(v.Checks, c => c.Name == "Authentic" && c.Passed);
        }
        var restored = new Restorer().Restore(listed, new RestoreRequest(t["restored.db"]) { Keys = new BackupKeys([Recovery], trustedWriters: [Operator.Recipient]) });
        Assert.Equal(snap.Manifest.RawSha256, Db.Sha(restored.Destination));
        // A recovery key's holder that does not trust the writer refuses it.
        var untrusted = new BackupVerifier(null, null, new BackupKeys([Recovery])).Verify(listed, VerificationLevel.Standard);
        Assert.False(untrusted.Passed);

        // A second export is the same backup.
        Assert.Equal(CopyStatus.AlreadyPresent, Export(t, snap, new BackupKeys([Operator])).Result.Status);
    }

    [SkippableFact]
    public void A_passphrase_repository_exports_with_the_same_passphrase()
    {
        using var t = new TempDir();
        var snap = Snapshot(t, BackupEncryption.WithPassphrase(Phrase, workFactor: 10));
        var (result, _) = Export(t, snap, BackupKeys.FromPassphrase(Phrase));
        var m = result.Copy.Manifest;
        Assert.EndsWith(".db.zst.age", m.File);
        Assert.True(m.Encryption!.Passphrase);
        Assert.Empty(m.Encryption.Recipients);
        Assert.Equal(10, m.Encryption.MacWorkFactor);
        var listed = new BackupCatalog().List(t["export"]).Single();
        var v = new BackupVerifier(null, null, BackupKeys.FromPassphrase(Phrase)).Verify(listed, VerificationLevel.Full);
        Assert.True(v.Passed, v.Message);
        var wrong = new BackupVerifier(null, null, BackupKeys.FromPassphrase("not it")).Verify(listed, VerificationLevel.Standard);
        Assert.Equal("EncryptionWrongIdentity", wrong.Error!.ErrorId);
    }

    [SkippableFact]
    public void No_identity_a_wrong_one_or_a_damaged_pack_writes_nothing_and_leaves_no_plaintext()
    {
        using var t = new TempDir();
        var snap = Snapshot(t, BackupEncryption.ToRecipients([Operator.Recipient], Operator));

        Assert.Equal("EncryptionIdentityMissing", Assert.Throws<SqliteBackupException>(() => Export(t, snap, null)).ErrorId);
        Assert.Empty(Left(t, "export"));
        Assert.Empty(Left(t, "scratch"));
        Assert.Equal("EncryptionWrongIdentity", Assert.Throws<SqliteBackupException>(() => Export(t, snap, new BackupKeys([Stranger]))).ErrorId);
        Assert.Empty(Left(t, "export"));
        Assert.Empty(Left(t, "scratch"));

        // A pack damaged after it was written: found while decrypting, before anything is exported.
        string pack = t["repo/" + snap.Manifest.Repository!.Packs[0].Name];
        var bytes = File.ReadAllBytes(pack);
        bytes[^40] ^= 0x01;
        File.WriteAllBytes(pack, bytes);
        var e = Assert.Throws<SqliteBackupException>(() => Export(t, snap, new BackupKeys([Operator])));
        Assert.Equal("RepositoryDamaged", e.ErrorId);
        Assert.Empty(Left(t, "export"));
        Assert.Empty(Left(t, "scratch"));
    }
}
