using System.Security.Cryptography;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Sftp;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// How an SFTP copy is proven: the server's sha256sum where the account may run commands (nothing read back), a
/// read-back where it may not; a path that would inject into a shell does not; a server whose openssl (asked before sha256sum) lies is caught.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class SftpServerHashTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    SftpStore Open(string directory) =>
        new(new Uri($"sftp://{server.User}@127.0.0.1:{server.Port}{string.Join('/', directory.Split('/').Select(Uri.EscapeDataString))}"), new StoreOptions { Create = true });

    BackupInfo NewBackup(TempDir t)
    {
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 200);
        return new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"] });
    }

    [SkippableFact]
    public void A_shell_account_proves_the_copy_by_the_servers_sha256sum_and_reads_nothing_back()
    {
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = server.NewDirectory();
        using var store = Open(dir);
        Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, store).Status);
        Assert.Null(store.ServiceHashUnavailable);
        Assert.Equal(0, store.BytesRead);
        Assert.Equal(local.Manifest.StoredSha256, Db.Sha(Path.Combine(dir, local.Manifest.File)));
        Assert.Equal(local.Manifest.StoredSha256, store.ServiceSha256(local.Manifest.File, local.Manifest.StoredSize));
    }

    [SkippableFact]
    public void An_sftp_only_account_refuses_the_command_once_and_the_copy_is_read_back_to_the_same_result()
    {
        server.Require();
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, server.SftpOnlyIdentity);
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = server.NewDirectory();
        using var store = Open(dir);
        Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, store).Status);
        Assert.NotNull(store.ServiceHashUnavailable);
        Assert.Equal(local.Manifest.StoredSize, store.BytesRead);
        Assert.Equal(local.Manifest.StoredSha256, Db.Sha(Path.Combine(dir, local.Manifest.File)));
        Assert.Null(store.ServiceSha256(local.Manifest.File, local.Manifest.StoredSize));
    }

    [SkippableFact]
    public void A_path_with_quotes_spaces_and_command_substitutions_is_hashed_right_and_runs_nothing()
    {
        string marker = Path.Combine(Path.GetTempPath(), "sbt-marker-" + Guid.NewGuid().ToString("N")[..8]);
        string dir = server.NewDirectory() + $"/it's a $(touch {marker}) `touch {marker}b` ''x dir";
        using var store = Open(dir);
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        store.Put("a.db", new MemoryStream(bytes), createOnly: true);
        Assert.True(File.Exists(Path.Combine(dir, "a.db")));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), store.ServiceSha256("a.db", bytes.Length));
        Assert.Null(store.ServiceHashUnavailable);
        Assert.False(File.Exists(marker));
        Assert.False(File.Exists(marker + "b"));
    }

    [SkippableFact]
    public void A_server_without_openssl_proves_the_copy_by_its_sha256sum()
    {
        server.Require();
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, server.NoOpensslIdentity);
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = server.NewDirectory();
        using var store = Open(dir);
        Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, store).Status);
        Assert.Null(store.ServiceHashUnavailable);
        Assert.Equal(0, store.BytesRead);
        Assert.Equal(local.Manifest.StoredSha256, store.ServiceSha256(local.Manifest.File, local.Manifest.StoredSize));
    }

    [SkippableFact]
    public void A_large_upload_opens_the_hashing_connection_while_it_runs_and_the_hash_is_the_servers()
    {
        // 24 MiB: past the size at which the command connection is opened beside the upload.
        string dir = server.NewDirectory();
        using var store = Open(dir);
        var bytes = RandomNumberGenerator.GetBytes(24 << 20);
        store.Put("big.db", new MemoryStream(bytes), createOnly: true);
        Assert.True(store.HashConnectionOpenedEarly);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), store.ServiceSha256("big.db", bytes.Length));
        Assert.Null(store.ServiceHashUnavailable);
        // Answered by the command started beside the upload, waiting for the path; the next large upload, on the
        // connection now open, starts another.
        Assert.Equal(1, store.HashesByWaitingCommand);
        var second = RandomNumberGenerator.GetBytes(24 << 20);
        store.Put("big2.db", new MemoryStream(second), createOnly: true);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(second)), store.ServiceSha256("big2.db", second.Length));
        Assert.Equal(2, store.HashesByWaitingCommand);
        // No waiting command left over for a hash of an object no upload announced: a command of its own answers.
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), store.ServiceSha256("big.db", bytes.Length));
        Assert.Equal(2, store.HashesByWaitingCommand);
        store.Put("small.db", new MemoryStream(new byte[1000]), createOnly: true);
        using var other = Open(dir);
        other.Put("small2.db", new MemoryStream(new byte[1000]), createOnly: true);
        Assert.False(other.HashConnectionOpenedEarly);
    }

    [SkippableTheory]
    [InlineData("liar")]
    [InlineData("sftp-only")]
    [InlineData("no-openssl")]
    public void A_command_started_beside_a_large_upload_runs_as_the_account_would_run_one_after_it(string account)
    {
        server.Require();
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, account switch
        {
            "liar" => server.LiarIdentity,
            "sftp-only" => server.SftpOnlyIdentity,
            _ => server.NoOpensslIdentity,
        });
        string dir = server.NewDirectory();
        using var store = Open(dir);
        var bytes = RandomNumberGenerator.GetBytes(24 << 20);
        string real = Convert.ToHexStringLower(SHA256.HashData(bytes));
        store.Put("big.db", new MemoryStream(bytes), createOnly: true);
        string? hash = store.ServiceSha256("big.db", bytes.Length);
        switch (account)
        {
            case "liar": // its PATH's openssl answers for the early command too: the caller sees the mismatch
                Assert.NotNull(hash);
                Assert.NotEqual(real, hash);
                Assert.Equal(1, store.HashesByWaitingCommand);
                break;
            case "sftp-only": // refused, as a command run after the upload is: the object is read back instead
                Assert.Null(hash);
                Assert.NotNull(store.ServiceHashUnavailable);
                break;
            default: // sha256sum where there is no openssl
                Assert.Equal(real, hash);
                Assert.Equal(1, store.HashesByWaitingCommand);
                break;
        }
    }

    [SkippableFact]
    public void A_server_whose_openssl_lies_gets_the_copy_reported_as_corrupted_and_removed()
    {
        server.Require();
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, server.LiarIdentity);
        using var t = new TempDir();
        var local = NewBackup(t);
        string dir = server.NewDirectory();
        using var store = Open(dir);
        var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(local, store));
        Assert.Equal("CopyCorrupted", e.ErrorId);
        Assert.False(File.Exists(Path.Combine(dir, local.Manifest.File)));
        Assert.False(File.Exists(Path.Combine(dir, local.Manifest.File + ".manifest.json")));
    }

    [SkippableFact]
    public void A_source_damaged_since_it_was_written_is_said_to_be_the_sources_fault_and_nothing_stays_on_the_server()
    {
        // The copy does not hash the source on the way: the server's hash of what it stored is what catches the damage.
        using var t = new TempDir();
        var local = NewBackup(t);
        var bytes = File.ReadAllBytes(local.Path);
        bytes[100] ^= 0xFF;
        File.WriteAllBytes(local.Path, bytes);
        string dir = server.NewDirectory();
        using var store = Open(dir);
        var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(local, store));
        Assert.Equal("BackupChecksumMismatch", e.ErrorId);
        Assert.Contains(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), e.Message);
        Assert.Empty(Directory.GetFiles(dir));
        Assert.Equal(0, store.BytesRead);
    }

    [SkippableFact]
    public void Where_SFTP_starts_in_another_directory_than_commands_the_server_hashes_the_stored_file_not_its_namesake()
    {
        server.Require();
        // As "Subsystem sftp internal-sftp -d /srv/sftp/%u" beside a normal shell: a /~/ path is the SFTP start
        // directory's for the upload, while a command starts in the login directory.
        string id = Guid.NewGuid().ToString("N")[..8];
        string sftpRoot = Path.Combine(server.Dir, "sftproot-" + id), shellHome = Path.Combine(server.Dir, "shellhome-" + id);
        Directory.CreateDirectory(sftpRoot);
        Directory.CreateDirectory(Path.Combine(shellHome, "b"));
        string key = Path.Combine(server.Dir, "client_startdir_" + id);
        Cli.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
        string forced = $$"""if [ \"$SSH_ORIGINAL_COMMAND\" = internal-sftp ]; then cd {{sftpRoot}} && exec /usr/lib/openssh/sftp-server; else cd {{shellHome}} && exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"; fi""";
        string authorized = File.ReadAllText(server.AuthorizedKeys);
        try
        {
            File.AppendAllText(server.AuthorizedKeys, $"command=\"{forced}\" {File.ReadAllText(key + ".pub")}");
            Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, key);
            using var t = new TempDir();
            var local = NewBackup(t);
            var location = new Uri($"sftp://{server.User}@127.0.0.1:{server.Port}/~/b");
            using (var store = new SftpStore(location, new StoreOptions { Create = true }))
                Assert.Equal(CopyStatus.Copied, new BackupCopier().Copy(local, store).Status);
            string stored = Path.Combine(sftpRoot, "b", local.Manifest.File);
            Assert.Equal(local.Manifest.StoredSha256, Db.Sha(stored));

            // The stored copy is damaged; a file of the same name and the right bytes lies in the login directory.
            File.Copy(stored, Path.Combine(shellHome, "b", local.Manifest.File));
            var bytes = File.ReadAllBytes(stored);
            bytes[bytes.Length / 2] ^= 0xFF;
            File.WriteAllBytes(stored, bytes);

            using var again = new SftpStore(location);
            var remote = Assert.Single(new StoreCatalog().List(again));
            var result = new BackupVerifier().Verify(remote, again, VerificationLevel.Quick, record: false);
            Assert.False(result.Passed, result.Message);
            Assert.Equal(VerificationOutcome.Failed, result.Outcome);
        }
        finally { File.WriteAllText(server.AuthorizedKeys, authorized); }
    }
}
