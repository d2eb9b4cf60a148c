using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Notifications;

namespace SqliteBackup.Core.Tests.Notifications;

public class EmailNotifierTests
{
    static readonly NotificationMessage Failure = NotifierTests.Failure;

    [SkippableFact]
    public void Mail_reaches_a_real_SMTP_server()
    {
        using var server = new MailDevServer();
        using var t = new TempDir();
        var notifier = new Notifier(new BackupLogProvider(new JsonLinesLog(t["log.jsonl"])).CreateLogger("n"),
            new SmtpSettings("127.0.0.1", server.SmtpPort, "backups@example.com") { Security = SmtpSecurity.None });
        Assert.Empty(notifier.Send([NotificationTarget.Parse("mailto:ops@example.com")], Failure));
        var mail = Assert.Single(server.Emails());
        Assert.Equal("[SqliteBackup] FAILED: BackupFailed for app: DiskFull", mail.GetProperty("subject").GetString());
        Assert.Contains("no space left", mail.GetProperty("text").GetString());
        Assert.Equal("ops@example.com", mail.GetProperty("to")[0].GetProperty("address").GetString());
    }

    [SkippableFact]
    public void Login_uses_the_password_from_an_environment_variable_and_never_logs_it()
    {
        using var server = new MailDevServer("backup-user", "s3cret-Pa55");
        using var t = new TempDir();
        var logger = new BackupLogProvider(new JsonLinesLog(t["log.jsonl"])).CreateLogger("n");
        string variable = "SQLITEBACKUP_TEST_SMTP_PASSWORD_" + Guid.NewGuid().ToString("N")[..6];
        Environment.SetEnvironmentVariable(variable, "s3cret-Pa55");
        try
        {
            var good = new SmtpSettings("127.0.0.1", server.SmtpPort, "backups@example.com") { Security = SmtpSecurity.None, UserName = "backup-user", PasswordVariable = variable };
            Assert.Empty(new Notifier(logger, good).Send([NotificationTarget.Parse("mailto:ops@example.com")], Failure));
            Assert.Single(server.Emails());

            var bad = good with { PasswordVariable = null, Password = "wrong" };
            Assert.Single(new Notifier(logger, bad).Send([NotificationTarget.Parse("mailto:ops@example.com")], Failure));
            Assert.Single(server.Emails());
        }
        finally { Environment.SetEnvironmentVariable(variable, null); }
        string log = File.ReadAllText(t["log.jsonl"]);
        Assert.Contains("NotificationFailed", log);
        Assert.DoesNotContain("s3cret", log);
        Assert.DoesNotContain("wrong", log.Replace("went wrong", ""));
    }
}
