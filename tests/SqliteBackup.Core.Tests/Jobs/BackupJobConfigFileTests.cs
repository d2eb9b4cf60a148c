using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Jobs;

public class BackupJobConfigFileTests
{
    static string Write(TempDir t, string backupSection, string name = "backup.json")
    {
        string path = t[name];
        File.WriteAllText(path, "{ \"app\": { \"port\": 8080 }, \"backup\": " + backupSection + " }");
        return path;
    }

    [Fact]
    public void Defaults_and_relative_paths_resolve_against_the_file_not_the_working_directory()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["conf"]);
        File.WriteAllText(t["app.db"], "");
        string path = Write(t, """{ "databases": ["../app.db"] }""", "conf/backup.json");
        var c = BackupJobConfigFile.Load(path);
        Assert.Equal([t["app.db"]], c.Databases);
        Assert.Equal(t["conf/backups"], c.BackupDirectory);
        Assert.Equal(Path.Combine(t["conf/backups"], "sqlitebackup-log.jsonl"), c.LogFile);
        Assert.Equal(new TimeOnly(2, 0), c.BackupTime);
        Assert.Equal((30, 12, 12), (c.RetentionPolicy.KeepDaily, c.RetentionPolicy.KeepWeekly, c.RetentionPolicy.KeepMonthly));
        Assert.Equal(CompressionKind.Zstd, c.Compression);
        Assert.Equal(VerificationLevel.Standard, c.Verification);
        Assert.True(c.WeeklyRestoreTest);
    }

    [Fact]
    public void Services_are_names_or_objects_with_their_own_stop_bound()
    {
        using var t = new TempDir();
        File.WriteAllText(t["app.db"], "");
        var c = BackupJobConfigFile.Load(Write(t, """{ "databases": ["./app.db"], "services": ["app.service", { "name": "worker@1", "stop_timeout_sec": 20 }] }"""));
        Assert.Equal([new ServiceStopConfig("app.service", 60), new ServiceStopConfig("worker@1", 20)], c.Services);
        Assert.Empty(BackupJobConfigFile.Load(Write(t, """{ "databases": ["./app.db"] }""")).Services);
    }

    [Theory]
    [InlineData("""{ "services": "app.service" }""", "'backup.services'")]
    [InlineData("""{ "services": [""] }""", "'backup.services[0]'")]
    [InlineData("""{ "services": [{ "stop_timeout_sec": 20 }] }""", "'backup.services[0].name'")]
    [InlineData("""{ "services": [{ "name": "a", "stop_timeout_sec": 1 }] }""", "'backup.services[0].stop_timeout_sec'")]
    [InlineData("""{ "services": [{ "name": "a", "stop_timeout_sec": 14 }] }""", "'backup.services[0].stop_timeout_sec'")]
    [InlineData("""{ "services": [{ "name": "a", "timeout": 30 }] }""", "'backup.services[0].timeout'")]
    public void A_bad_service_entry_is_named_by_its_key(string section, string key)
    {
        using var t = new TempDir();
        File.WriteAllText(t["app.db"], "");
        string withDb = section.Insert(1, " \"databases\": [\"./app.db\"],");
        var e = Assert.Throws<SqliteBackupException>(() => BackupJobConfigFile.Load(Write(t, withDb)));
        Assert.Equal("InvalidBackupConfig", e.ErrorId);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void The_documented_example_reads_as_written()
    {
        using var t = new TempDir();
        File.WriteAllText(t["app.db"], "");
        string path = Write(t, """
            { "enabled": true, "automatic_daily": true, "backup_time": "23:45", "backup_on_shutdown": true,
              "backup_directory": "./b", "retention_days": 7, "retention_weeks": 4, "retention_months": -1,
              "database": "./app.db", "compression": "gzip", "verification": "full", "weekly_restore_test": false,
              "log_file": "./logs/backup.jsonl" }
            """);
        var c = BackupJobConfigFile.Load(path);
        Assert.Equal(new TimeOnly(23, 45), c.BackupTime);
        Assert.True(c.BackupOnShutdown);
        Assert.Equal(CompressionKind.Gzip, c.Compression);
        Assert.Equal(VerificationLevel.Full, c.Verification);
        Assert.False(c.WeeklyRestoreTest);
        Assert.Equal(t["logs/backup.jsonl"], c.LogFile);
        Assert.Equal(-1, c.RetentionPolicy.KeepMonthly);
    }

    [Theory]
    [InlineData("""{ "databases": ["./app.db"], "backup_time": "25:00" }""", "'backup.backup_time' is \"25:00\"")]
    [InlineData("""{ "databases": ["./app.db"], "retention_days": -2 }""", "'backup.retention_days' must be a whole number")]
    [InlineData("""{ "databases": ["./app.db"], "retention_weeks": "twelve" }""", "'backup.retention_weeks' must be a whole number")]
    [InlineData("""{ "databases": ["./app.db"], "retension_days": 3 }""", "'backup.retension_days' is not a known setting")]
    [InlineData("""{ "databases": ["./app.db"], "compression": "lz4" }""", "'backup.compression' is \"lz4\"")]
    [InlineData("""{ "databases": ["./app.db"], "verification": "0" }""", "'backup.verification' is \"0\"")]
    [InlineData("""{ "databases": ["./app.db"], "enabled": "yes" }""", "'backup.enabled' must be true or false")]
    [InlineData("""{ "databases": [] }""", "'backup.databases' is missing")]
    [InlineData("""{ "databases": ["./missing.db"] }""", "'backup.databases[0]' names")]
    [InlineData("""{ "databases": [42] }""", "'backup.databases[0]' must be a database file path")]
    [InlineData("""[]""", "no \"backup\" object")]
    public void Bad_values_are_errors_that_name_the_key(string section, string expected)
    {
        using var t = new TempDir();
        File.WriteAllText(t["app.db"], "");
        var e = Assert.Throws<SqliteBackupException>(() => BackupJobConfigFile.Load(Write(t, section)));
        Assert.Equal("InvalidBackupConfig", e.ErrorId);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Saving_keeps_the_application_s_own_sections_and_refuses_to_replace_without_force()
    {
        using var t = new TempDir();
        string path = Write(t, """{ "databases": ["./x.db"] }""");
        var section = new System.Text.Json.Nodes.JsonObject { ["databases"] = new System.Text.Json.Nodes.JsonArray("./y.db") };
        var e = Assert.Throws<SqliteBackupException>(() => BackupJobConfigFile.Save(path, section, overwriteSection: false));
        Assert.Equal("BackupConfigExists", e.ErrorId);
        BackupJobConfigFile.Save(path, (System.Text.Json.Nodes.JsonObject)section.DeepClone(), overwriteSection: true);
        string text = File.ReadAllText(path);
        Assert.Contains("8080", text);
        Assert.Contains("./y.db", text);
    }

    [Fact]
    public void Plain_text_SMTP_login_is_off_unless_the_file_allows_it()
    {
        using var t = new TempDir();
        File.WriteAllText(t["app.db"], "");
        var off = BackupJobConfigFile.Load(Write(t, """{ "database": "./app.db", "smtp_server": "mail", "smtp_user": "u", "smtp_password_env": "P" }"""));
        Assert.False(off.Smtp!.AllowPlainTextAuth);
        var on = BackupJobConfigFile.Load(Write(t, """{ "database": "./app.db", "smtp_server": "mail", "smtp_user": "u", "smtp_password_env": "P", "smtp_allow_plaintext_auth": true }""", "on.json"));
        Assert.True(on.Smtp!.AllowPlainTextAuth);
    }
}
