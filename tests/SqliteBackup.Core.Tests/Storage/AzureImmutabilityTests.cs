using System.Globalization;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Copies;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Retention;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Azure;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// Blob immutability policies on a container with version-level immutability, against <see cref="ScriptedImmutableAzure"/>
/// (Azurite has none): the exact request that sets one, its read-back, extension, and the refusal of deletes under it.
/// </summary>
public sealed class AzureImmutabilityTests : IDisposable
{
    static readonly StoreOptions Keys = new() { UserName = "devstoreaccount1", Secret = Convert.ToBase64String(new byte[64]), Create = true };

    readonly TempDir _t = new();

    public void Dispose() => _t.Dispose();

    static AzureStore Store(ScriptedImmutableAzure server, string query = "") => new(new Uri(server.Location + query), Keys);

    static DateTimeOffset Header(ScriptedImmutableAzure.Request r) =>
        DateTimeOffset.ParseExact(r.Headers["x-ms-immutability-policy-until-date"], "R", CultureInfo.InvariantCulture);

    [Fact]
    public void A_locked_put_sets_the_policy_by_the_documented_request_reads_it_back_and_a_delete_under_it_is_refused_as_StoreObjectLocked()
    {
        using var server = new ScriptedImmutableAzure();
        using var store = Store(server);
        Assert.True(store.CanLock());
        var until = new DateTime(2031, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddMilliseconds(250);
        store.PutLocked("a.db.zst", new MemoryStream([1, 2, 3]), until);

        var set = Assert.Single(server.PolicyRequests);
        Assert.Equal("/devstoreaccount1/c-worm/p/a.db.zst", set.Path);
        Assert.Contains("comp=immutabilityPolicies", set.Query);
        // Whole seconds in the header, rounded up: the lock never ends before the date asked for.
        Assert.Equal("Tue, 06 May 2031 07:08:10 GMT", set.Headers["x-ms-immutability-policy-until-date"]);
        Assert.Equal("Unlocked", set.Headers["x-ms-immutability-policy-mode"]);
        // Set after the blob was created (create-only), then read back.
        var order = server.Requests.Select(r => (r.Method, r.Query.Contains("comp=immutabilityPolicies"))).ToList();
        int put = order.IndexOf(("PUT", false)), policy = order.IndexOf(("PUT", true));
        Assert.True(put >= 0 && put < policy, string.Join(", ", order));
        Assert.Equal("*", server.BlobPuts.Single().Headers["if-none-match"]);
        Assert.Contains(server.Requests.Skip(policy + 1), r => r.Method == "HEAD" && r.Path.EndsWith("/a.db.zst", StringComparison.Ordinal));
        Assert.Equal(new DateTime(2031, 5, 6, 7, 8, 10, DateTimeKind.Utc), store.LockedUntil("a.db.zst"));

        var e = Assert.Throws<SqliteBackupException>(() => store.Delete("a.db.zst"));
        Assert.Equal("StoreObjectLocked", e.ErrorId);
        Assert.Contains("immutability policy until 2031-05-06 07:08:10 UTC", e.Message);
        Assert.Contains(server.Requests, r => r.Method == "DELETE");
        Assert.True(server.Blobs.ContainsKey("p/a.db.zst"));
        Assert.Single(store.List());
    }

    [Fact]
    public void Compliance_mode_sets_a_Locked_policy_and_an_extension_only_ever_moves_the_date_later()
    {
        using var server = new ScriptedImmutableAzure();
        using var store = Store(server, "?lock-mode=compliance");
        var until = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        store.PutLocked("pack-1.pack", new MemoryStream([9]), until);
        Assert.Equal("Locked", Assert.Single(server.PolicyRequests).Headers["x-ms-immutability-policy-mode"]);

        store.ExtendLock("pack-1.pack", until.AddDays(-10));
        store.ExtendLock("pack-1.pack", until);
        Assert.Single(server.PolicyRequests);

        store.ExtendLock("pack-1.pack", until.AddDays(30));
        var extended = server.PolicyRequests.Last();
        Assert.Equal(2, server.PolicyRequests.Count());
        Assert.Equal(new DateTimeOffset(until.AddDays(30)), Header(extended));
        Assert.Equal("Locked", extended.Headers["x-ms-immutability-policy-mode"]);
        Assert.Equal(until.AddDays(30), store.LockedUntil("pack-1.pack"));
    }

    [Fact]
    public void A_container_without_immutability_is_written_without_a_policy_unless_the_location_asks_for_a_lock_which_is_then_refused_before_writing()
    {
        using var server = new ScriptedImmutableAzure(immutable: false);
        using (var plain = Store(server))
        {
            Assert.False(plain.CanLock());
            plain.Put("x", new MemoryStream([1]), createOnly: true);
            Assert.Empty(server.PolicyRequests);
        }
        int before = server.BlobPuts.Count();
        using var asked = Store(server, "?lock-mode=governance");
        var e = Assert.Throws<SqliteBackupException>(() => asked.CanLock());
        Assert.Equal("StoreImmutabilityUnavailable", e.ErrorId);
        Assert.Contains("version-level immutability", e.Message);

        // Through the copier: refused before anything is sent.
        var backup = LocalBackup();
        Assert.Equal("StoreImmutabilityUnavailable", Assert.Throws<SqliteBackupException>(() => new BackupCopier().Copy(backup, asked)).ErrorId);
        Assert.Equal(before, server.BlobPuts.Count());
    }

    [Fact]
    public void A_credential_that_may_not_read_the_containers_properties_writes_unlocked_unless_the_location_asks_for_a_lock()
    {
        using var server = new ScriptedImmutableAzure(containerForbidden: true);
        using (var plain = Store(server))
        {
            Assert.False(plain.CanLock());
            plain.Put("x", new MemoryStream([1]), createOnly: true);
        }
        using var asked = Store(server, "?lock-mode=compliance");
        Assert.Equal("StoreAccessDenied", Assert.Throws<SqliteBackupException>(() => asked.CanLock()).ErrorId);
        Assert.Empty(server.PolicyRequests);
    }

    [Fact]
    public void A_policy_the_service_says_it_set_but_does_not_show_fails_the_write_and_leaves_no_unlocked_object()
    {
        using var server = new ScriptedImmutableAzure(keepPolicies: false);
        using var store = Store(server);
        var e = Assert.Throws<SqliteBackupException>(() => store.PutLocked("a", new MemoryStream([1]), DateTime.UtcNow.AddDays(1)));
        Assert.Equal("StoreImmutabilityUnavailable", e.ErrorId);
        Assert.Contains("no immutability policy", e.Message);
        Assert.Empty(server.Blobs);
    }

    [Fact]
    public void A_copy_into_a_WORM_container_locks_data_and_manifest_as_long_as_its_retention_could_keep_it()
    {
        using var server = new ScriptedImmutableAzure();
        using var store = Store(server);
        var backup = LocalBackup();
        var policy = new RetentionPolicy { KeepDaily = 30, KeepWeekly = 2 };
        var copy = new BackupCopier { Retention = policy }.Copy(backup, store);
        Assert.Equal(CopyStatus.Copied, copy.Status);

        var expected = DateTime.SpecifyKind(backup.Manifest.CreatedUtc, DateTimeKind.Utc).AddDays(30);
        foreach (var name in new[] { backup.Manifest.File, backup.Manifest.File + BackupManifest.Suffix })
        {
            var b = server.Blobs["p/" + name];
            Assert.Equal("Unlocked", b.PolicyMode);
            Assert.InRange(b.PolicyUntil!.Value.UtcDateTime, expected, expected.AddSeconds(1));
            Assert.Equal("StoreObjectLocked", Assert.Throws<SqliteBackupException>(() => store.Delete(name)).ErrorId);
        }
        Assert.Equal(2, server.PolicyRequests.Count());
    }

    [Fact]
    public void A_manifest_that_could_neither_be_locked_nor_removed_fails_the_copy_instead_of_publishing_it_unlocked()
    {
        // A credential that may write but not delete, and a policy answered but not kept for the manifest alone.
        using var server = new ScriptedImmutableAzure
        {
            ForgetsPolicyOf = key => key.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal),
            ForbidsDeleteOf = key => key.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal),
        };
        using var store = Store(server);
        var backup = LocalBackup();
        var e = Assert.Throws<SqliteBackupException>(() => new BackupCopier { Retention = new RetentionPolicy { KeepDaily = 7 } }.Copy(backup, store));
        Assert.Equal("StoreObjectLeftUnlocked", e.ErrorId);
        Assert.Contains(backup.Manifest.File + BackupManifest.Suffix, e.Message);
        Assert.Null(server.Blobs["p/" + backup.Manifest.File + BackupManifest.Suffix].PolicyUntil);
    }

    [Fact]
    public void A_lock_whose_answer_was_lost_but_that_holds_counts_as_set()
    {
        // The policy request itself fails after the service kept it: the delete that would clean up is refused by that
        // very policy, and the object is locked, which is what was asked.
        using var server = new ScriptedImmutableAzure { FailsPolicyAnswerOf = key => key == "p/a" };
        using var store = new AzureStore(new Uri(server.Location), Keys with { Timeout = TimeSpan.FromSeconds(3) });
        var until = DateTime.UtcNow.AddDays(2);
        store.PutLocked("a", new MemoryStream([1, 2, 3]), until);
        Assert.Contains(server.Requests, r => r.Method == "DELETE");
        Assert.InRange(server.Blobs["p/a"].PolicyUntil!.Value.UtcDateTime, until.AddSeconds(-1), until.AddSeconds(1));
    }

    [Fact]
    public void A_data_object_an_interrupted_copy_left_unlocked_is_locked_when_a_later_copy_uses_it()
    {
        // Azure sets the policy after the upload: a copy killed in between leaves the data object unlocked and no manifest.
        using var server = new ScriptedImmutableAzure();
        using var store = Store(server);
        var backup = LocalBackup();
        store.Put(backup.Manifest.File, File.OpenRead(backup.Path), createOnly: true);
        Assert.Null(server.Blobs["p/" + backup.Manifest.File].PolicyUntil);
        var copy = new BackupCopier { Retention = new RetentionPolicy { KeepDaily = 7 } }.Copy(backup, store);
        Assert.Equal(CopyStatus.Copied, copy.Status);
        var expected = DateTime.SpecifyKind(backup.Manifest.CreatedUtc, DateTimeKind.Utc).AddDays(7);
        Assert.InRange(server.Blobs["p/" + backup.Manifest.File].PolicyUntil!.Value.UtcDateTime, expected, expected.AddSeconds(1));
        Assert.NotNull(server.Blobs["p/" + backup.Manifest.File + BackupManifest.Suffix].PolicyUntil);
    }

    [Fact]
    public void A_copy_already_there_unlocked_is_locked_by_copying_it_again()
    {
        using var server = new ScriptedImmutableAzure { ForgetsPolicyOf = _ => true, ForbidsDeleteOf = _ => true };
        using var store = Store(server);
        var backup = LocalBackup();
        var copier = new BackupCopier { Retention = new RetentionPolicy { KeepDaily = 7 } };
        Assert.Equal("StoreObjectLeftUnlocked", Assert.Throws<SqliteBackupException>(() => copier.Copy(backup, store)).ErrorId);
        server.ForgetsPolicyOf = _ => false;
        // The data object is there unlocked and without a manifest; then a manifest is written by hand, as a run whose
        // manifest lock failed the same way would leave it.
        store.Put(backup.Manifest.File + BackupManifest.Suffix, new MemoryStream(backup.Manifest.ToJson()), createOnly: true);
        Assert.Equal(CopyStatus.AlreadyPresent, copier.Copy(backup, store).Status);
        Assert.NotNull(server.Blobs["p/" + backup.Manifest.File].PolicyUntil);
        Assert.NotNull(server.Blobs["p/" + backup.Manifest.File + BackupManifest.Suffix].PolicyUntil);
    }

    [Theory]
    [InlineData("azure://acct1/c-worm/p?lock-mode=governance", "Unlocked")]
    [InlineData("azure://acct1/c-worm/p?lock-mode=Compliance", "Locked")]
    [InlineData("azure+http://127.0.0.1:10000/devstoreaccount1/c-worm/p?lock-mode=locked", "Locked")]
    [InlineData("azure+https://acct1.blob.core.windows.net/c-worm?lock-mode=unlocked", "Unlocked")]
    [InlineData("azure://acct1/c-worm/p", null)]
    public void Lock_mode_is_the_same_location_setting_as_on_S3_and_a_location_without_it_asks_for_no_lock(string location, string? mode)
    {
        var parsed = AzureLocation.Parse(new Uri(location));
        Assert.Equal(mode, parsed.LockMode?.ToString());
        Assert.DoesNotContain("lock-mode", parsed.Text);
        Assert.Equal("StoreLocationInvalid", Assert.Throws<SqliteBackupException>(() => AzureLocation.Parse(new Uri(location.Split('?')[0] + "?lock-mode=forever"))).ErrorId);
    }

    BackupInfo LocalBackup()
    {
        string db = _t["app.db"];
        Db.Exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);");
        return new BackupEngine().Create(new BackupRequest(db) { Destination = _t["local"], Verify = VerificationLevel.Quick, Type = BackupType.Automatic });
    }
}
