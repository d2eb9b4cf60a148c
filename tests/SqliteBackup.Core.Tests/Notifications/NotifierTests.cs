using System.Text.Json;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Notifications;

namespace SqliteBackup.Core.Tests.Notifications;

public class NotifierTests
{
    internal static readonly NotificationMessage Failure = new()
    {
        Event = "BackupFailed", Success = false, Summary = "BackupFailed for app: DiskFull", Database = "app", Error = "no space left",
    };

    static (Notifier Notifier, JsonLinesLog Log) Make(TempDir t, SmtpSettings? smtp = null, double timeoutSeconds = 10) =>
        (new Notifier(new BackupLogProvider(new JsonLinesLog(t["log.jsonl"])).CreateLogger("n"), smtp)
        {
            WebhookTimeout = TimeSpan.FromSeconds(timeoutSeconds), WebhookAttempts = 3,
        }, new JsonLinesLog(t["log.jsonl"]));

    [Theory]
    [InlineData("https://hooks.example.com/x", NotificationKind.Webhook)]
    [InlineData("mailto:ops@example.com", NotificationKind.Email)]
    [InlineData("/usr/local/bin/notify", NotificationKind.Command)]
    public void Targets_parse_by_form(string text, NotificationKind kind) => Assert.Equal(kind, NotificationTarget.Parse(text).Kind);

    [Theory]
    [InlineData("")]
    [InlineData("mailto:not an address")]
    [InlineData("relative/script.sh")]
    [InlineData("ftp://example.com/")]
    public void Bad_targets_are_format_errors(string text) => Assert.Throws<FormatException>(() => NotificationTarget.Parse(text));

    [Fact]
    public void A_webhook_gets_the_outcome_as_JSON_and_the_log_never_shows_its_token()
    {
        using var t = new TempDir();
        using var server = new LocalHttpServer(200);
        var (notifier, log) = Make(t);
        var failed = notifier.Send([NotificationTarget.Parse(server.Url)], Failure);
        Assert.Empty(failed);
        var body = JsonDocument.Parse(Assert.Single(server.Bodies)).RootElement;
        Assert.False(body.GetProperty("success").GetBoolean());
        Assert.Equal("app", body.GetProperty("database").GetString());
        Assert.Equal("BackupFailed", body.GetProperty("event").GetString());
        string logText = File.ReadAllText(t["log.jsonl"]);
        Assert.Contains("NotificationSent", logText);
        Assert.DoesNotContain("secret-token-123", logText);
        Assert.DoesNotContain("key=abc", logText);
    }

    [Fact]
    public void A_server_that_answers_500_is_retried_then_logged_as_failed_without_throwing()
    {
        using var t = new TempDir();
        using var server = new LocalHttpServer(500);
        var (notifier, log) = Make(t);
        var failed = notifier.Send([NotificationTarget.Parse(server.Url)], Failure);
        Assert.Single(failed);
        Assert.Equal(3, server.Requests);
        var entry = Assert.Single(log.Read(), e => e.Event == "NotificationFailed");
        Assert.Contains("500", entry.Error ?? entry.Message);
    }

    [Fact]
    public void A_server_that_never_answers_times_out_and_the_next_target_still_gets_its_message()
    {
        using var t = new TempDir();
        using var silent = new LocalHttpServer(neverAnswer: true);
        using var good = new LocalHttpServer(204);
        var (notifier, log) = Make(t, timeoutSeconds: 1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failed = notifier.Send([NotificationTarget.Parse(silent.Url), NotificationTarget.Parse(good.Url)], Failure);
        Assert.Equal([NotificationKind.Webhook], failed.Select(f => f.Kind));
        Assert.Equal(1, good.Requests);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Contains(log.Read(), e => e.Event == "NotificationFailed" && (e.Error ?? e.Message).Contains("no answer"));
    }

    [Fact]
    public void A_command_hook_gets_the_outcome_in_its_environment_with_no_shell_parsing()
    {
        if (OperatingSystem.IsWindows()) return;
        using var t = new TempDir();
        string output = t["env.txt"];
        string hook = t["hook; $(touch pwned).sh"];
        File.WriteAllText(hook, $"#!/bin/sh\nenv | grep '^SQLITEBACKUP_' | sort > '{output}'\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (notifier, _) = Make(t);
        var hostile = Failure with { Error = "quote ' and $(touch pwned2) and `x`" };
        Assert.Empty(notifier.Send([NotificationTarget.Parse(hook)], hostile));
        var env = File.ReadAllLines(output);
        Assert.Contains("SQLITEBACKUP_STATUS=failure", env);
        Assert.Contains("SQLITEBACKUP_DATABASE=app", env);
        Assert.Contains("SQLITEBACKUP_ERROR=quote ' and $(touch pwned2) and `x`", env);
        Assert.False(File.Exists(t["pwned"]));
        Assert.False(File.Exists(t["pwned2"]));
    }

    [Fact]
    public void A_failing_hook_is_logged_not_thrown()
    {
        if (OperatingSystem.IsWindows()) return;
        using var t = new TempDir();
        string hook = t["fail.sh"];
        File.WriteAllText(hook, "#!/bin/sh\necho broken >&2\nexit 3\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var (notifier, log) = Make(t);
        Assert.Single(notifier.Send([NotificationTarget.Parse(hook)], Failure));
        Assert.Contains(log.Read(), e => e.Event == "NotificationFailed" && (e.Error ?? e.Message).Contains("exited with 3"));
    }

    [Fact]
    public void Email_without_an_SMTP_server_is_a_logged_failure()
    {
        using var t = new TempDir();
        var (notifier, log) = Make(t);
        Assert.Single(notifier.Send([NotificationTarget.Parse("mailto:ops@example.com")], Failure));
        Assert.Contains(log.Read(), e => e.Event == "NotificationFailed" && (e.Error ?? e.Message).Contains("no SMTP server"));
    }
}
