using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>The store contract and SFTP's own promises, against a real OpenSSH sshd: a fresh directory per test.</summary>
[Collection(SshdCollection.Name)]
public sealed class SftpStoreTests(SshdServer server) : StoreContract, IDisposable
{
    protected override IBackupStore NewStore() => StoreRegistry.Open(server.LocationOf(server.NewDirectory()), new StoreOptions { Create = true });

    SftpStore Open(string directory, StoreOptions? options = null) => new(new Uri(server.LocationOf(directory)), options ?? new StoreOptions { Create = true });

    // Each test may point the SFTP variables elsewhere; the next one starts from the server's own files again.
    public void Dispose() => server.ResetEnvironment();

    static byte[] Read(IBackupStore store, string name)
    {
        using var s = store.OpenRead(name);
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    static string Mode(string path) => OperatingSystem.IsWindows() ? "" : Convert.ToString((int)File.GetUnixFileMode(path), 8);

    [SkippableFact]
    public void The_sftp_scheme_opens_an_SFTP_store_whose_location_names_no_secret()
    {
        server.Require();
        using var store = StoreRegistry.Open($"sftp://backup@127.0.0.1:{server.Port}/srv/backups");
        Assert.IsType<SftpStore>(store);
        Assert.Equal($"sftp://backup@127.0.0.1:{server.Port}/srv/backups", store.Location);
        Assert.Equal("sftp://backup@host/~/sub", StoreRegistry.Open("sftp://backup@host:22/~/sub").Location);
        var e = Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("sftp://backup:hunter2@host/srv"));
        Assert.Equal("StoreLocationInvalid", e.ErrorId);
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.Equal("StoreLocationInvalid", Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("sftp://host/srv/../etc")).ErrorId);
        Assert.Equal("StoreLocationInvalid", Assert.Throws<SqliteBackupException>(() => StoreRegistry.Open("sftp://host/")).ErrorId);
    }

    [SkippableFact]
    public void Objects_are_private_and_written_under_a_temporary_name_then_renamed_into_a_0700_directory()
    {
        string dir = Path.Combine(server.NewDirectory(), "a", "b");
        using var store = Open(dir);
        var data = Bytes(5 << 20, seed: 3);
        long reported = 0;
        var threads = new HashSet<int>();
        store.Put("x.db.zst", new MemoryStream(data), createOnly: true, new Progress(n => { reported = n; threads.Add(Environment.CurrentManagedThreadId); }));
        Assert.Equal("600", Mode(Path.Combine(dir, "x.db.zst")));
        Assert.Equal("700", Mode(dir));
        Assert.Equal("700", Mode(Path.GetDirectoryName(dir)!));
        Assert.Equal(data.Length, reported);
        // A shell can draw progress only from its own thread.
        Assert.Equal([Environment.CurrentManagedThreadId], threads);
        Assert.Equal(["x.db.zst"], Directory.GetFiles(dir).Select(Path.GetFileName));
        // SFTP keeps no checksum: copies are checked by reading back.
        Assert.Null(store.Stat("x.db.zst")!.Sha256);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(Read(store, "x.db.zst")));
    }

    [SkippableFact]
    public void Two_writers_racing_for_one_name_one_wins_and_the_others_are_told()
    {
        string dir = server.NewDirectory();
        using (var first = Open(dir)) first.List(); // the directory, made once
        var results = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
        Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
        {
            using var store = Open(dir);
            try { store.Put("race", new MemoryStream(Bytes(256 * 1024, i)), createOnly: true); results[i] = "won"; }
            catch (SqliteBackupException e) { results[i] = e.ErrorId; }
        });
        var winner = Assert.Single(results, r => r.Value == "won").Key;
        Assert.Equal(5, results.Count(r => r.Value == "StoreObjectExists"));
        Assert.Equal(SHA256.HashData(Bytes(256 * 1024, winner)), SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "race"))));
        Assert.Equal(["race"], Directory.GetFiles(dir).Select(Path.GetFileName)); // the losers' temporaries removed
    }

    [SkippableFact]
    public void A_source_that_fails_or_a_cancelled_upload_leaves_no_temporary_and_the_failure_comes_back_as_it_was()
    {
        string dir = server.NewDirectory();
        using var store = Open(dir);
        var e = Assert.Throws<IOException>(() => store.Put("half.db.zst", new FailingStream(Bytes(4 << 20), failAfter: 2 << 20), createOnly: true));
        Assert.Equal("the source failed mid-transfer", e.Message);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => store.Put("never", new MemoryStream(Bytes(1 << 20)), createOnly: true, ct: cancelled.Token));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [SkippableFact]
    public void A_missing_directory_is_reported_by_readers_and_created_only_by_writers_that_ask()
    {
        string dir = server.NewDirectory();
        using var reader = Open(dir, new StoreOptions());
        foreach (Action op in new Action[] { () => reader.List(), () => reader.Stat("o"), () => reader.OpenRead("o"), () => reader.Put("o", new MemoryStream(Bytes(10)), true) })
        {
            var e = Assert.Throws<SqliteBackupException>(op);
            Assert.Equal("StoreLocationNotFound", e.ErrorId);
            Assert.Contains(server.LocationOf(dir), e.Message);
        }
        Assert.False(Directory.Exists(dir));
        using var writer = Open(dir);
        writer.Put("o", new MemoryStream(Bytes(10)), true);
        Assert.True(File.Exists(Path.Combine(dir, "o")));
    }

    [SkippableFact]
    public void An_unknown_host_key_is_refused_with_its_fingerprint_and_how_to_add_it()
    {
        server.Require();
        string empty = Path.Combine(server.Dir, "known_hosts." + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(empty, "");
        Environment.SetEnvironmentVariable(SshdServer.KnownHostsVariable, empty);
        using var store = Open(server.NewDirectory());
        var e = Assert.Throws<SqliteBackupException>(() => store.List());
        Assert.Equal("StoreHostKeyUnknown", e.ErrorId);
        // The fingerprint as ssh-keygen shows it, so a user can compare it with the server's own.
        var (_, keygen, _) = Cli.Run("ssh-keygen", "-lf", server.HostPublicKey);
        string fingerprint = keygen.Split(' ')[1];
        Assert.StartsWith("SHA256:", fingerprint);
        Assert.Contains(fingerprint, e.Message);
        Assert.Contains($"ssh-keyscan -p {server.Port} 127.0.0.1 >> {empty}", e.RecommendedAction);
        Assert.Equal("", File.ReadAllText(empty)); // never added silently

        // Doing what it says makes the next attempt work.
        var (_, scanned, _) = Cli.Run("ssh-keyscan", "-p", server.Port.ToString(), "127.0.0.1");
        File.WriteAllText(empty, scanned);
        using var again = Open(server.NewDirectory());
        again.Put("o", new MemoryStream(Bytes(10)), true);
    }

    [SkippableFact]
    public void A_changed_host_key_is_refused_and_a_hashed_entry_is_accepted()
    {
        server.Require();
        string file = Path.Combine(server.Dir, "known_hosts." + Guid.NewGuid().ToString("N")[..6]);
        string other = Path.Combine(server.Dir, "other_" + Guid.NewGuid().ToString("N")[..6]);
        Cli.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other);
        var otherKey = File.ReadAllText(other + ".pub").Split(' ');
        File.WriteAllText(file, $"[127.0.0.1]:{server.Port} {otherKey[0]} {otherKey[1]}\n");
        Environment.SetEnvironmentVariable(SshdServer.KnownHostsVariable, file);
        using (var store = Open(server.NewDirectory()))
        {
            var e = Assert.Throws<SqliteBackupException>(() => store.List());
            Assert.Equal("StoreHostKeyChanged", e.ErrorId);
            Assert.Contains($"ssh-keygen -R '[127.0.0.1]:{server.Port}'", e.RecommendedAction);
        }

        // The real entry, hashed by ssh-keygen -H as HashKnownHosts would write it.
        File.Copy(server.KnownHostsFile, file, overwrite: true);
        Assert.Equal(0, Cli.Run("ssh-keygen", "-H", "-f", file).Code);
        Assert.StartsWith("|1|", File.ReadAllText(file));
        using (var store = Open(server.NewDirectory()))
        {
            store.Put("o", new MemoryStream(Bytes(10)), true);
            Assert.Single(store.List());
        }
    }

    [SkippableFact]
    public void The_host_key_type_known_hosts_holds_is_asked_for_first_and_a_host_known_only_by_another_type_is_unknown()
    {
        server.Require();
        string file = Path.Combine(server.Dir, "known_hosts." + Guid.NewGuid().ToString("N")[..6]);
        Environment.SetEnvironmentVariable(SshdServer.KnownHostsVariable, file);
        // The server has an ed25519 and an RSA key; only the RSA one was accepted.
        var rsa = File.ReadAllText(Path.Combine(server.Dir, "host_rsa.pub")).Split(' ');
        File.WriteAllText(file, $"[127.0.0.1]:{server.Port} {rsa[0]} {rsa[1]}\n");
        using (var store = Open(server.NewDirectory()))
            store.Put("o", new MemoryStream(Bytes(10)), true);

        // Known only by a key type the server does not have: refused as unknown, saying what is known.
        string other = Path.Combine(server.Dir, "ecdsa_" + Guid.NewGuid().ToString("N")[..6]);
        Cli.Run("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", other);
        var ecdsa = File.ReadAllText(other + ".pub").Split(' ');
        File.WriteAllText(file, $"[127.0.0.1]:{server.Port} {ecdsa[0]} {ecdsa[1]}\n");
        using (var store = Open(server.NewDirectory()))
        {
            var e = Assert.Throws<SqliteBackupException>(() => store.List());
            Assert.Equal("StoreHostKeyUnknown", e.ErrorId);
            Assert.Contains("lists only ecdsa-sha2-nistp256 keys", e.Message);
        }
    }

    [SkippableFact]
    public void A_key_the_server_does_not_know_is_access_denied_and_a_passphrase_is_never_shown()
    {
        server.Require();
        string stranger = Path.Combine(server.Dir, "stranger_" + Guid.NewGuid().ToString("N")[..6]);
        Cli.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger);
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, stranger);
        string dir = server.NewDirectory();
        using (var store = Open(dir))
        {
            var e = Assert.Throws<SqliteBackupException>(() => store.List());
            Assert.Equal("StoreAccessDenied", e.ErrorId);
            Assert.Contains(server.LocationOf(dir), e.Message);
        }

        // A key with a passphrase: given as the credential's secret it works; missing or wrong, access is denied
        // and the secret appears nowhere.
        const string passphrase = "c0rrect-h0rse-passphrase";
        string locked = Path.Combine(server.Dir, "locked_" + Guid.NewGuid().ToString("N")[..6]);
        Cli.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", locked);
        File.AppendAllText(server.AuthorizedKeys, File.ReadAllText(locked + ".pub"));
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, locked);
        using (var store = Open(dir, new StoreOptions { Create = true, Secret = passphrase }))
            store.Put("o", new MemoryStream(Bytes(10)), true);
        Environment.SetEnvironmentVariable(SshdServer.PassphraseVariable, passphrase);
        using (var store = Open(dir))
            Assert.Single(store.List());
        Environment.SetEnvironmentVariable(SshdServer.PassphraseVariable, null);
        foreach (var options in new[] { new StoreOptions(), new StoreOptions { Secret = "Wr0ng-passphrase-value" } })
        {
            using var store = Open(dir, options);
            var e = Assert.Throws<SqliteBackupException>(() => store.List());
            Assert.Equal("StoreAccessDenied", e.ErrorId);
            Assert.Contains(locked, e.Message);
            Assert.DoesNotContain(passphrase, e.ToString() + e.RecommendedAction);
            Assert.DoesNotContain("Wr0ng-passphrase-value", e.ToString() + e.RecommendedAction);
        }
    }

    [SkippableFact]
    public void A_user_and_password_credential_logs_in_where_no_key_file_is_there_and_a_wrong_one_is_denied()
    {
        server.Require();
        LocalUser.RequireRoot();
        using var user = new LocalUser();
        const string password = "Pw-for-sftp-7731";
        string secrets = Path.Combine(server.Dir, "chpasswd-" + user.Name);
        // Through a file, not an argument list.
        File.WriteAllText(secrets, $"{user.Name}:{password}\n");
        Assert.Equal(0, Cli.Run("sh", "-c", $"chpasswd < '{secrets}'").Code);
        File.Delete(secrets);
        using var t = new TempDir();
        string dir = Path.Combine(t.Path, "theirs");
        Directory.CreateDirectory(dir);
        user.Owns(dir);
        Environment.SetEnvironmentVariable(SshdServer.IdentityVariable, null);
        try
        {
            // No ~/.ssh/id_* here: the secret is the password.
            SftpConnector.SshDirectoryOverride = t["ssh"];
            string location = $"sftp://{user.Name}@127.0.0.1:{server.Port}{dir}";
            using (var store = StoreRegistry.Open(location, new StoreOptions { Secret = password }))
                store.Put("o", new MemoryStream(Bytes(10)), true);
            Assert.Equal(user.Uid.ToString(), Cli.Run("stat", "-c", "%u", Path.Combine(dir, "o")).Out.Trim());
            using (var store = StoreRegistry.Open(location, new StoreOptions { Secret = "Wr0ng-password-value" }))
            {
                var e = Assert.Throws<SqliteBackupException>(() => store.List());
                Assert.Equal("StoreAccessDenied", e.ErrorId);
                Assert.Contains(location, e.Message);
                Assert.DoesNotContain("Wr0ng-password-value", e.ToString() + e.RecommendedAction);
            }
        }
        finally { SftpConnector.SshDirectoryOverride = null; }
    }

    [SkippableFact]
    public void A_server_that_never_answers_or_refuses_the_connection_is_unavailable_within_the_timeout()
    {
        server.Require();
        // Connections are accepted (the kernel's backlog) and never answered: no SSH banner ever comes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var options = new StoreOptions { Timeout = TimeSpan.FromSeconds(2) };
        using (var store = new SftpStore(new Uri($"sftp://u@127.0.0.1:{port}/srv"), options))
        {
            var watch = Stopwatch.StartNew();
            var e = Assert.Throws<SqliteBackupException>(() => store.List());
            Assert.Equal("StoreUnavailable", e.ErrorId);
            Assert.Contains($"sftp://u@127.0.0.1:{port}/srv", e.Message);
            Assert.InRange(watch.Elapsed.TotalSeconds, 1.5, 10);
            // A listing uploads nothing, and this is no S3 store.
            Assert.DoesNotContain("upload", e.Message, StringComparison.OrdinalIgnoreCase);
            StoreWording.AssertNoS3Advice(e);
        }
        silent.Stop();
        using (var store = new SftpStore(new Uri($"sftp://u@127.0.0.1:{port}/srv"), options))
        {
            var watch = Stopwatch.StartNew();
            Assert.Equal("StoreUnavailable", Assert.Throws<SqliteBackupException>(() => store.List()).ErrorId);
            Assert.InRange(watch.Elapsed.TotalSeconds, 0, 5);
        }
    }

    [SkippableFact]
    public void Cleanup_judges_a_temporarys_age_by_the_servers_clock_too_so_a_server_behind_ours_keeps_a_live_upload()
    {
        string dir = server.NewDirectory();
        using (var writer = Open(dir)) writer.Put("first", new MemoryStream(Bytes(10)), true);
        // An upload under way in another run (written by the server a moment ago) and one a killed run left three days ago.
        string live = Path.Combine(dir, $"{SftpStore.TempPrefix}live{AtomicFile.TempSuffix}");
        string left = Path.Combine(dir, $"{SftpStore.TempPrefix}left{AtomicFile.TempSuffix}");
        File.WriteAllBytes(live, Bytes(100));
        File.WriteAllBytes(left, Bytes(100));
        File.SetLastWriteTimeUtc(left, DateTime.UtcNow.AddDays(-3));
        // This machine's clock two days ahead of the server's (as the server's would be two days behind): by our clock
        // alone, the live upload is two days old.
        var ahead = new ShiftedClock(TimeSpan.FromDays(2));
        using var store = new SftpStore(new Uri(server.LocationOf(dir)), new StoreOptions()) { Clock = ahead };

        Assert.Equal(1, store.AbortStaleUploads(TimeSpan.FromHours(24)));

        Assert.True(File.Exists(live), "a live upload was deleted because this machine's clock is ahead of the server's");
        Assert.False(File.Exists(left));
        Assert.Equal(new[] { "first", Path.GetFileName(live) }.Order(StringComparer.Ordinal), Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
    }

    sealed class ShiftedClock(TimeSpan by) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + by;
    }

    [SkippableFact]
    public void An_upload_whose_connection_drops_leaves_no_object_and_the_next_cleanup_removes_its_temporary()
    {
        string dir = server.NewDirectory();
        using var store = Open(dir);
        store.Put("first", new MemoryStream(Bytes(10)), true);
        var before = server.SessionProcesses();
        // Half-way through, the server side of this connection is killed (as a dropped network or a killed process
        // on either side would end it): nothing more is written, nothing is cleaned up by the server.
        var source = new CuttingStream(Bytes(8 << 20), cutAfter: 3 << 20, () =>
        {
            foreach (var pid in server.SessionProcesses()) Cli.Run("kill", "-9", pid.ToString());
        });
        var e = Assert.Throws<SqliteBackupException>(() => store.Put("half.db.zst", source, createOnly: true));
        Assert.Equal("StoreUnavailable", e.ErrorId);
        Assert.NotEmpty(before);

        var left = Directory.GetFiles(dir).Select(Path.GetFileName).ToList();
        Assert.Contains(left, n => n!.StartsWith(".sqlitebackup-sftp-") && n.EndsWith(".tmp"));
        Assert.DoesNotContain("half.db.zst", left);

        using var next = Open(dir);
        Assert.Equal(["first"], next.List().Select(o => o.Name));
        Assert.Null(next.Stat("half.db.zst"));
        Assert.Equal(0, next.AbortStaleUploads(TimeSpan.FromHours(1))); // too young: may still be running
        Assert.Equal(1, ((IStaleUploadCleanup)next).AbortStaleUploads(TimeSpan.Zero));
        Assert.Equal(["first"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [SkippableFact]
    public void Copying_a_backup_reads_it_back_to_check_it_and_a_data_object_deleted_behind_our_back_is_reported()
    {
        using var t = new TempDir();
        Db.CreatePaired(t["app.db"], wal: true, fillerRows: 200);
        var local = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"] });
        string dir = server.NewDirectory();
        using var store = Open(dir);
        var copy = new BackupCopier().Copy(local, store);
        Assert.Equal(CopyStatus.Copied, copy.Status);
        Assert.Equal(local.Manifest.StoredSha256, Db.Sha(Path.Combine(dir, local.Manifest.File)));

        // The copier checks what the server stored by reading it back (SFTP has no checksum of its own): damage
        // done to the bytes between upload and check is caught and the object removed, no manifest written.
        var damaging = new DamagingStore(store, dir);
        var second = new BackupEngine().Create(new BackupRequest(t["app.db"]) { Destination = t["backups"] });
        var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(second, damaging));
        Assert.Equal("CopyCorrupted", e.ErrorId);
        Assert.False(File.Exists(Path.Combine(dir, second.Manifest.File)));
        Assert.False(File.Exists(Path.Combine(dir, second.Manifest.File + ".manifest.json")));

        var log = new ListLogger();
        Assert.Single(new StoreCatalog(log).List(store));
        File.Delete(Path.Combine(dir, local.Manifest.File));
        Assert.Empty(new StoreCatalog(log).List(store));
        Assert.Contains(log.Warnings, w => w.Contains(local.Manifest.File) && w.Contains("missing"));
    }

    /// <summary>A store whose data objects get one byte flipped on the server right after they are stored.</summary>
    sealed class DamagingStore(IBackupStore inner, string dir) : IBackupStore
    {
        public string Location => inner.Location;
        public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => inner.List(ct);
        public StoredObject? Stat(string name, CancellationToken ct = default) => inner.Stat(name, ct);
        public Stream OpenRead(string name, CancellationToken ct = default) => inner.OpenRead(name, ct);
        public void Delete(string name, CancellationToken ct = default) => inner.Delete(name, ct);
        public void Dispose() { }

        public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
        {
            inner.Put(name, content, createOnly, progress, ct);
            if (name.EndsWith(".manifest.json", StringComparison.Ordinal)) return;
            using var f = File.Open(Path.Combine(dir, name), FileMode.Open, FileAccess.ReadWrite);
            f.Position = f.Length / 2;
            int b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 0xFF));
        }
    }

    sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
