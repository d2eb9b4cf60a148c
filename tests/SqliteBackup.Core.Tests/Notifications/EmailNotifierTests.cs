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
            var good = new SmtpSettings("127.0.0.1", server.SmtpPort, "backups@example.com") { Security = SmtpSecurity.None, UserName = "backup-user", PasswordVariable = variable, AllowPlainTextAuth = true };
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

    // ---- a password never crosses the wire in clear unless the user says so ---------------------------------------

    [SkippableTheory]
    [InlineData(SmtpSecurity.Auto)] // the default: STARTTLS when offered, and this server offers only AUTH
    [InlineData(SmtpSecurity.None)]
    public void Credentials_are_not_sent_without_TLS_unless_plain_text_is_allowed(SmtpSecurity security)
    {
        using var server = new MailDevServer("backup-user", "s3cret-Pa55");
        using var t = new TempDir();
        var logger = new BackupLogProvider(new JsonLinesLog(t["log.jsonl"])).CreateLogger("n");
        var smtp = new SmtpSettings("127.0.0.1", server.SmtpPort, "backups@example.com") { Security = security, UserName = "backup-user", Password = "s3cret-Pa55" };

        Assert.Single(new Notifier(logger, smtp).Send([NotificationTarget.Parse("mailto:ops@example.com")], Failure));
        Assert.Empty(server.Emails());
        var warning = Assert.Single(new JsonLinesLog(t["log.jsonl"]).Read(), e => e.Event == "NotificationFailed");
        Assert.Contains("SmtpPlainTextAuthRefused", warning.Message);
        Assert.Contains("AllowPlainTextAuth", warning.Message);
        Assert.DoesNotContain("s3cret", File.ReadAllText(t["log.jsonl"]));

        // The explicit opt-in still reaches the same server.
        Assert.Empty(new Notifier(logger, smtp with { AllowPlainTextAuth = true }).Send([NotificationTarget.Parse("mailto:ops@example.com")], Failure));
        Assert.Single(server.Emails());
    }

    [Fact]
    public void A_refused_login_never_sends_AUTH_to_a_server_that_offers_it_in_clear()
    {
        // maildev cannot show what a client said before it gave up, so this server records every byte it is sent.
        using var server = new RecordingSmtpServer();
        using var t = new TempDir();
        var smtp = new SmtpSettings("127.0.0.1", server.Port, "backups@example.com") { UserName = "backup-user", Password = "s3cret-Pa55" };
        Assert.Single(new Notifier(new ListLogger(), smtp).Send([NotificationTarget.Parse("mailto:ops@example.com")], Failure));
        string said = server.Transcript();
        Assert.Contains("EHLO", said);
        Assert.DoesNotContain("AUTH", said);
        Assert.DoesNotContain("s3cret", said);
        Assert.DoesNotContain(Convert.ToBase64String("\0backup-user\0s3cret-Pa55"u8.ToArray()), said);
    }

    /// <summary>A minimal ESMTP server on loopback that offers AUTH PLAIN LOGIN without STARTTLS and records the client's bytes.</summary>
    sealed class RecordingSmtpServer : IDisposable
    {
        readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
        readonly System.Text.StringBuilder _said = new();
        readonly Task _serve;

        public RecordingSmtpServer()
        {
            _listener.Start();
            Port = ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;
            _serve = Task.Run(Serve);
        }

        public int Port { get; }

        public string Transcript()
        {
            _serve.Wait(TimeSpan.FromSeconds(10));
            lock (_said) return _said.ToString();
        }

        void Serve()
        {
            try
            {
                using var client = _listener.AcceptTcpClient();
                using var stream = client.GetStream();
                using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
                using var writer = new StreamWriter(stream, System.Text.Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
                writer.WriteLine("220 recorder ESMTP");
                while (reader.ReadLine() is { } line)
                {
                    lock (_said) _said.AppendLine(line);
                    string verb = line.Split(' ')[0].ToUpperInvariant();
                    if (verb is "EHLO" or "HELO") { writer.WriteLine("250-recorder"); writer.WriteLine("250-AUTH PLAIN LOGIN"); writer.WriteLine("250 8BITMIME"); }
                    else if (verb == "QUIT") { writer.WriteLine("221 bye"); return; }
                    else if (verb == "AUTH") writer.WriteLine("235 accepted");
                    else writer.WriteLine("250 ok");
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException) { }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Dispose();
        }
    }
}
