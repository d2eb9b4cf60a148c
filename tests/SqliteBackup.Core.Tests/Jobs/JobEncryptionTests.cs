using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Encryption;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Jobs;

public class JobEncryptionConfigTests
{
    static readonly AgeX25519Identity Operator = AgeX25519Identity.Generate();
    static readonly string R1 = Operator.Recipient.ToString();
    static readonly string R2 = AgeX25519Identity.Generate().Recipient.ToString();
    static readonly string Secret = AgeX25519Identity.Generate().EncodeSecret();

    static BackupJobConfig Load(TempDir t, string encryption)
    {
        File.WriteAllText(t["app.db"], "");
        File.WriteAllText(t["backup.json"], "{ \"backup\": { \"databases\": [\"./app.db\"], \"encryption\": " + encryption + " } }");
        return BackupJobConfigFile.Load(t["backup.json"]);
    }

    [Fact]
    public void Recipients_and_an_identity_file_relative_to_the_configuration_are_read_as_names_only()
    {
        using var t = new TempDir();
        var e = Load(t, $$"""{ "recipients": ["{{R1}}", "{{R2}}"], "identity_file": "./keys/op.key", "trusted_writers": "{{R2}}" }""").Encryption!;
        Assert.Equal([R1, R2], e.Recipients);
        Assert.Equal(t["keys/op.key"], e.IdentityFile);
        Assert.Equal([R2], e.TrustedWriters);
        Assert.False(e.UsesPassphrase);
        Assert.Equal($"to 2 recipient(s), identity from file '{t["keys/op.key"]}', 1 trusted writer(s)", e.ToString());
    }

    [Theory]
    [InlineData("""{ "passphrase_env": "BACKUP_PASSPHRASE" }""", "passphrase from $BACKUP_PASSPHRASE")]
    [InlineData("""{ "recipients": ["R1"], "identity_env": "AGE_ID" }""", "to 1 recipient(s), identity from $AGE_ID")]
    public void Passphrase_or_identity_from_a_variable(string section, string shown)
    {
        using var t = new TempDir();
        Assert.Equal(shown, Load(t, section.Replace("R1", R1)).Encryption!.ToString());
    }

    [Fact]
    public void No_section_means_no_encryption()
    {
        using var t = new TempDir();
        File.WriteAllText(t["app.db"], "");
        File.WriteAllText(t["backup.json"], """{ "backup": { "databases": ["./app.db"] } }""");
        Assert.Null(BackupJobConfigFile.Load(t["backup.json"]).Encryption);
    }

    [Theory]
    [InlineData("""[]""", "'backup.encryption' must be an object")]
    [InlineData("""{ "recipients": ["age1notakey"], "identity_file": "k" }""", "'backup.encryption.recipients[0]'")]
    [InlineData("""{ "recipients": "R1" }""", "'backup.encryption.identity_file' is missing")]
    [InlineData("""{ "identity_file": "k" }""", "'backup.encryption.recipients' is missing")]
    [InlineData("""{ "recipients": ["R1"], "identity_file": "k", "identity_env": "A" }""", "'backup.encryption.identity_env' and \"identity_file\" both")]
    [InlineData("""{ "recipients": ["R1"], "passphrase_env": "P" }""", "'backup.encryption.recipients' and a passphrase can not be combined")]
    [InlineData("""{ "passphrase_env": "P", "passphrase_file": "f" }""", "'backup.encryption.passphrase_env' and \"passphrase_file\" both")]
    [InlineData("""{ "passphrase_env": "P", "identity_file": "k" }""", "'backup.encryption.identity_file' applies only with \"recipients\"")]
    [InlineData("""{ "passphrase_env": "P", "trusted_writers": ["R1"] }""", "'backup.encryption.trusted_writers' applies only")]
    [InlineData("""{ "passphrase_env": "my secret words" }""", "'backup.encryption.passphrase_env' must be the name of an environment variable")]
    [InlineData("""{ "passphrase": "correct horse" }""", "'backup.encryption.passphrase' would put a key or passphrase in the configuration")]
    [InlineData("""{ "recipients": ["R1"], "identity": "x", "identity_file": "k" }""", "'backup.encryption.identity' would put a key or passphrase")]
    [InlineData("""{ "recipients": ["R1"], "identity_file": "k", "compress": true }""", "'backup.encryption.compress' is not a known encryption setting")]
    [InlineData("""{ "recipients": ["R1"], "identity_file": 3 }""", "'backup.encryption.identity_file' must be a non-empty string")]
    [InlineData("""{ "recipients": [7], "identity_file": "k" }""", "'backup.encryption.recipients[0]' must be an age public key")]
    public void A_bad_encryption_section_is_refused_naming_its_key(string section, string expected)
    {
        using var t = new TempDir();
        var e = Assert.Throws<SqliteBackupException>(() => Load(t, section.Replace("R1", R1)));
        Assert.Equal("InvalidBackupConfig", e.ErrorId);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("correct horse", e.Message);
        Assert.DoesNotContain("my secret words", e.Message);
    }

    [Theory]
    [InlineData("""{ "recipients": ["R1"], "identity_file": "SECRET" }""", "'backup.encryption.identity_file'")]
    [InlineData("""{ "recipients": ["SECRET"], "identity_file": "k" }""", "'backup.encryption.recipients[0]'")]
    [InlineData("""{ "recipients": ["R1"], "identity_env": "SECRET" }""", "'backup.encryption.identity_env'")]
    [InlineData("""{ "recipients": ["R1"], "identity_file": "k", "extra": { "note": "# key: SECRET" } }""", "'backup.encryption.extra.note'")]
    public void A_secret_key_anywhere_in_the_section_is_refused_without_being_repeated(string section, string key)
    {
        using var t = new TempDir();
        var e = Assert.Throws<SqliteBackupException>(() => Load(t, section.Replace("R1", R1).Replace("SECRET", Secret)));
        Assert.Equal("InvalidBackupConfig", e.ErrorId);
        Assert.Contains(key + " holds an age secret key", e.Message);
        Assert.DoesNotContain(Secret, e.ToString());
        Assert.DoesNotContain(Secret[15..40], e.Message + e.RecommendedAction);
    }

    [Fact]
    public void A_secret_key_elsewhere_in_the_backup_section_is_refused_too()
    {
        using var t = new TempDir();
        File.WriteAllText(t["app.db"], "");
        File.WriteAllText(t["backup.json"], "{ \"backup\": { \"databases\": [\"./app.db\"], \"smtp_password_env\": \"" + Secret + "\" } }");
        var e = Assert.Throws<SqliteBackupException>(() => BackupJobConfigFile.Load(t["backup.json"]));
        Assert.Contains("'backup.smtp_password_env' holds an age secret key", e.Message);
        Assert.DoesNotContain(Secret, e.Message);
    }

    [SkippableFact]
    public void Check_reports_a_missing_identity_file_an_unset_variable_and_warns_of_exposed_key_files()
    {
        if (OperatingSystem.IsWindows()) throw new SkipException("file modes are POSIX");
        using var t = new TempDir();
        var missing = new JobEncryption { Recipients = [R1], IdentityFile = t["none.key"] };
        Assert.Equal("EncryptionIdentityMissing", missing.Check().Problem!.ErrorId);

        var unset = new JobEncryption { PassphraseVariable = "SQLITEBACKUP_TEST_UNSET_" + Guid.NewGuid().ToString("N") };
        var problem = unset.Check().Problem!;
        Assert.Equal("EncryptionPassphraseMissing", problem.ErrorId);
        Assert.Contains(unset.PassphraseVariable, problem.Message);

        AgeIdentityFile.Write(t["op.key"], Operator, force: false);
        var good = new JobEncryption { Recipients = [R1], IdentityFile = t["op.key"] };
        Assert.Null(good.Check().Problem);
        Assert.Empty(good.Check().Warnings);
        File.SetUnixFileMode(t["op.key"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Equal("EncryptionIdentityFileExposed", Assert.Single(good.Check().Warnings).ErrorId);

        File.WriteAllText(t["pass"], "correct horse\n");
        File.SetUnixFileMode(t["pass"], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var file = new JobEncryption { PassphraseFile = t["pass"] };
        Assert.Empty(file.Check().Warnings);
        File.SetUnixFileMode(t["pass"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var exposed = Assert.Single(file.Check().Warnings);
        Assert.Equal("EncryptionPassphraseFileExposed", exposed.ErrorId);
        Assert.DoesNotContain("correct horse", exposed.Message);
        File.WriteAllText(t["pass"], "\n");
        Assert.Equal("EncryptionPassphraseEmpty", file.Check().Problem!.ErrorId);
    }

    [Fact]
    public void A_passphrase_file_loses_one_trailing_line_end_only()
    {
        using var t = new TempDir();
        File.WriteAllText(t["pass"], "two words \r\n");
        var keys = new JobEncryption { PassphraseFile = t["pass"] }.Resolve();
        Assert.Equal("two words ", keys.Keys.Passphrase);
    }
}

public class JobEncryptionRunTests
{
    static readonly AgeX25519Identity Operator = AgeX25519Identity.Generate();
    static readonly AgeX25519Identity Recovery = AgeX25519Identity.Generate();

    static IReadOnlyList<DatabaseJobResult> Run(BackupJobConfig c) =>
        new BackupJob(new BackupLogProvider(new JsonLinesLog(c.LogFile)).CreateLogger("job")).Run(c, random: new Random(7));

    static string Everything(TempDir t) => string.Join("\n", Directory.EnumerateFiles(t.Path, "*", SearchOption.AllDirectories)
        .Where(f => f.EndsWith(".json") || f.EndsWith(".jsonl")).Select(File.ReadAllText));

    [Fact]
    public void The_job_encrypts_verifies_copies_and_restore_tests_the_offsite_copy_with_its_configured_keys()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        AgeIdentityFile.Write(t["op.key"], Operator, force: false);
        var c = BackupJobTests.Config(t, $$"""
            { "databases": ["./app.db"], "destinations": ["./offsite"], "restore_test_offsite": true,
              "encryption": { "recipients": ["{{Operator.Recipient}}", "{{Recovery.Recipient}}"], "identity_file": "./op.key" } }
            """);

        var r = Run(c).Single();

        Assert.True(r.Succeeded, r.Error);
        Assert.EndsWith(".db.zst.age", r.Backup!.Path);
        Assert.True(r.Verified);
        var local = Assert.Single(new BackupCatalog().List(c.BackupDirectory));
        Assert.Equal([Operator.Recipient.ToString(), Recovery.Recipient.ToString()], local.Manifest.Encryption!.Recipients);
        Assert.Equal(VerificationLevel.Standard, local.Manifest.Verifications.Single().Level);
        // The copy is the same ciphertext; its Quick check needed no key.
        var copy = Assert.Single(new BackupCatalog().List(t["offsite"]));
        Assert.Equal(local.Manifest.StoredSha256, copy.Manifest.StoredSha256);
        Assert.Equal(File.ReadAllBytes(local.Path), File.ReadAllBytes(copy.Path));
        Assert.True(r.RestoreTest!.Passed, r.RestoreTest.Message);
        Assert.Equal(copy.Path, r.RestoreTest.Backup.Path);
        // The recovery key's holder, trusting the operator as writer, opens it too.
        new Restore.Restorer().Restore(copy, new Restore.RestoreRequest(t["restored.db"])
            { Keys = new BackupKeys([Recovery], null, [Operator.Recipient]) });
        using (var db = Snapshot.SqliteFiles.Open(t["restored.db"], Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly))
            Assert.Equal(local.Manifest.TableRowCounts, Snapshot.SqliteFiles.RowCounts(db));
        string all = Everything(t);
        Assert.DoesNotContain("AGE-SECRET-KEY", all);
    }

    [Fact]
    public void The_preview_says_the_backups_are_encrypted_and_where_the_keys_come_from()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = BackupJobTests.Config(t, $$"""{ "databases": ["./app.db"], "encryption": { "recipients": ["{{Operator.Recipient}}"], "identity_env": "OP_KEY" } }""");
        var step = new BackupJob(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Preview(c, DateTime.UtcNow).Single(s => s.Action.StartsWith("Back up as"));
        Assert.Contains("Back up as Automatic (zstd, then encrypted (age, to 1 recipient(s), identity from $OP_KEY))", step.Action);
    }

    [Fact]
    public void The_preview_says_a_run_would_fail_on_keys_it_can_not_read()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        string variable = "SQLITEBACKUP_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        var c = BackupJobTests.Config(t, $$"""{ "databases": ["./app.db"], "encryption": { "passphrase_env": "{{variable}}" } }""");
        var first = new BackupJob(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Preview(c, DateTime.UtcNow).First();
        Assert.True(first.WouldFail);
        Assert.Contains(variable, first.Action);
    }

    [Fact]
    public void A_passphrase_from_the_environment_encrypts_and_never_reaches_the_log()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        string variable = "SQLITEBACKUP_TEST_PASS_" + Guid.NewGuid().ToString("N");
        const string passphrase = "orange kettle 4711 whisper";
        Environment.SetEnvironmentVariable(variable, passphrase);
        try
        {
            var c = BackupJobTests.Config(t, $$"""{ "databases": ["./app.db"], "encryption": { "passphrase_env": "{{variable}}" } }""");
            var r = Run(c).Single();
            Assert.True(r.Succeeded, r.Error);
            Assert.True(r.Backup!.Manifest.Encryption!.Passphrase);
            Assert.True(r.RestoreTest!.Passed, r.RestoreTest.Message);
            Assert.DoesNotContain(passphrase, Everything(t));
        }
        finally { Environment.SetEnvironmentVariable(variable, null); }
    }

    [Fact]
    public void An_unset_passphrase_variable_fails_the_run_before_anything_is_written_and_alerts()
    {
        using var t = new TempDir();
        using var hook = new Notifications.LocalHttpServer(200);
        SampleDatabase.Create(t["app.db"]);
        string variable = "SQLITEBACKUP_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        var c = BackupJobTests.Config(t, $$"""{ "databases": ["./app.db"], "log_file": "./job.jsonl", "notify": ["{{hook.Url}}"], "encryption": { "passphrase_env": "{{variable}}" } }""");

        var e = Assert.Throws<SqliteBackupException>(() => Run(c));

        Assert.Equal("EncryptionPassphraseMissing", e.ErrorId);
        Assert.Contains(variable, e.Message);
        Assert.False(Directory.Exists(c.BackupDirectory));
        Assert.Contains(new JsonLinesLog(c.LogFile).Read(), l => l.Event == "JobFailed");
        var body = Assert.Single(hook.Bodies);
        Assert.Contains("EncryptionPassphraseMissing", body);
    }

    [Fact]
    public void A_missing_identity_file_fails_the_run_with_its_path()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        var c = BackupJobTests.Config(t, $$"""{ "databases": ["./app.db"], "encryption": { "recipients": ["{{Operator.Recipient}}"], "identity_file": "./gone.key" } }""");
        var e = Assert.Throws<SqliteBackupException>(() => Run(c));
        Assert.Equal("EncryptionIdentityMissing", e.ErrorId);
        Assert.Contains(t["gone.key"], e.Message);
        // Only the log line saying so (the log lives in the backup directory by default).
        Assert.Empty(Directory.EnumerateFiles(c.BackupDirectory, "app_*", SearchOption.AllDirectories));
        Assert.Contains(new JsonLinesLog(c.LogFile).Read(), l => l.Event == "JobFailed");
    }

    [SkippableFact]
    public void An_exposed_identity_file_is_warned_about_in_the_log_and_the_run_goes_on()
    {
        if (OperatingSystem.IsWindows()) throw new SkipException("file modes are POSIX");
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        AgeIdentityFile.Write(t["op.key"], Operator, force: false);
        File.SetUnixFileMode(t["op.key"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var c = BackupJobTests.Config(t, $$"""{ "databases": ["./app.db"], "weekly_restore_test": false, "encryption": { "recipients": ["{{Operator.Recipient}}"], "identity_file": "./op.key" } }""");
        Assert.True(Run(c).Single().Succeeded);
        var warning = Assert.Single(new JsonLinesLog(c.LogFile).Read(), l => l.Event == "JobEncryptionWarning");
        Assert.Contains("chmod 600", warning.Message);
    }

    [Fact]
    public void A_restore_test_without_a_usable_key_is_a_failure_that_alerts_not_a_skip()
    {
        using var t = new TempDir();
        using var hook = new Notifications.LocalHttpServer(200);
        SampleDatabase.Create(t["app.db"]);
        // The writer is not among the recipients: its backup is only Quick-verified, and the job can not open it.
        AgeIdentityFile.Write(t["op.key"], Operator, force: false);
        var c = BackupJobTests.Config(t, $$"""{ "databases": ["./app.db"], "notify": ["{{hook.Url}}"], "encryption": { "recipients": ["{{Recovery.Recipient}}"], "identity_file": "./op.key" } }""");

        var r = Run(c).Single();

        Assert.False(r.Succeeded);
        Assert.Equal("RestoreTestFailed", r.ErrorId);
        Assert.Equal(VerificationOutcome.Failed, r.RestoreTest!.Outcome);
        Assert.Contains("no usable key", r.RestoreTest.Message);
        Assert.Contains(new JsonLinesLog(c.LogFile).Read(), l => l.Event == "RestoreTestFailed");
        var body = Assert.Single(hook.Bodies);
        Assert.Contains("RestoreTestFailed", body);
        Assert.DoesNotContain("AGE-SECRET-KEY", body);
    }

    [Fact]
    public void An_unencrypted_job_meeting_an_encrypted_backup_in_its_restore_test_fails_it()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        new Backups.BackupEngine().Create(new Backups.BackupRequest(t["app.db"])
        {
            Destination = t["backups"],
            Encryption = BackupEncryption.ToRecipients([Operator.Recipient], Operator),
        });
        var encrypted = Assert.Single(new BackupCatalog().List(t["backups"]));
        var test = new RestoreTester(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Test(encrypted);
        Assert.Equal(VerificationOutcome.Failed, test.Outcome);
        Assert.Contains("encryption", test.Message);
        var ok = new RestoreTester(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, keys: new BackupKeys([Operator])).Test(encrypted);
        Assert.True(ok.Passed, ok.Message);
    }

    [Fact]
    public void Incremental_with_encryption_fails_the_database_clearly_until_encrypted_repositories_land()
    {
        using var t = new TempDir();
        SampleDatabase.Create(t["app.db"]);
        AgeIdentityFile.Write(t["op.key"], Operator, force: false);
        var c = BackupJobTests.Config(t, $$"""{ "databases": ["./app.db"], "incremental": true, "encryption": { "recipients": ["{{Operator.Recipient}}"], "identity_file": "./op.key" } }""");
        var r = Run(c).Single();
        // Refused as today, or (once encrypted repositories land: the job already passes its keys) an encrypted
        // snapshot: never a snapshot in the clear.
        if (r.Succeeded)
            Assert.True(r.Backup!.Manifest.IsEncrypted);
        else
        {
            Assert.Equal("EncryptionOptionsConflict", r.ErrorId);
            Assert.Empty(Directory.EnumerateFiles(c.BackupDirectory, "*.pack", SearchOption.AllDirectories));
        }
    }
}
