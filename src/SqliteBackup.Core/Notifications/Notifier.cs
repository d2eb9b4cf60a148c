using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.Core.Notifications;

/// <summary>
/// Sends notifications. A failing notification is logged (NotificationFailed) and never thrown: it must not fail or
/// roll back the backup it reports on.
/// </summary>
public sealed class Notifier(ILogger logger, SmtpSettings? smtp = null)
{
    static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };
    static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);
    static readonly ProductInfoHeaderValue UserAgent = new("SqliteBackup", typeof(Notifier).Assembly.GetName().Version?.ToString(3) ?? "0");

    public TimeSpan WebhookTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int WebhookAttempts { get; init; } = 3;
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <returns>The targets that failed.</returns>
    public IReadOnlyList<NotificationTarget> Send(IEnumerable<NotificationTarget> targets, NotificationMessage message, CancellationToken ct = default)
    {
        var failed = new List<NotificationTarget>();
        foreach (var target in targets)
        {
            try
            {
                switch (target.Kind)
                {
                    case NotificationKind.Webhook: PostWebhook(target, message, ct); break;
                    case NotificationKind.Email: SendEmail(target, message, ct); break;
                    case NotificationKind.Command: RunCommand(target, message); break;
                }
                // {Database} also fills the log entry's Database field, so it is only used when there is one.
                if (message.Database != null)
                    logger.LogInformation(BackupEvents.NotificationSent, "Notification sent to {Target} about {Database}: {Summary}", target.Redacted, message.Database, message.Summary);
                else
                    logger.LogInformation(BackupEvents.NotificationSent, "Notification sent to {Target} about {About}: {Summary}", target.Redacted, message.About, message.Summary);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failed.Add(target);
                // Our own refusals carry an ErrorId and what to do, which the one line in the log must keep.
                string error = e is SqliteBackupException sbe ? $"{sbe.ErrorId}: {sbe.Message} {sbe.RecommendedAction}" : e.Message;
                if (message.Database != null)
                    logger.LogWarning(BackupEvents.NotificationFailed, "Notification to {Target} about {Database} failed: {Error}", target.Redacted, message.Database, error);
                else
                    logger.LogWarning(BackupEvents.NotificationFailed, "Notification to {Target} about {About} failed: {Error}", target.Redacted, message.About, error);
            }
        }
        return failed;
    }

    void PostWebhook(NotificationTarget target, NotificationMessage message, CancellationToken ct)
    {
        Exception? last = null;
        for (int attempt = 1; attempt <= WebhookAttempts; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(WebhookTimeout);
            try
            {
                // A byte body gives a Content-Length: minimal receivers do not read chunked bodies.
                using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(message, WebJson));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                using var request = new HttpRequestMessage(HttpMethod.Post, target.Address) { Content = content };
                request.Headers.UserAgent.Add(UserAgent);
                using var response = Http.SendAsync(request, timeout.Token).GetAwaiter().GetResult();
                if (response.IsSuccessStatusCode) return;
                last = new HttpRequestException($"the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
                // A client error will not fix itself by retrying.
                if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429) break;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                last = new TimeoutException($"no answer within {WebhookTimeout.TotalSeconds:0.#} s");
            }
            catch (HttpRequestException e) { last = e; }
            if (attempt < WebhookAttempts) Thread.Sleep(TimeSpan.FromMilliseconds(250 * attempt));
        }
        throw new IOException($"webhook failed after {WebhookAttempts} attempt(s): {last?.Message}", last);
    }

    void SendEmail(NotificationTarget target, NotificationMessage message, CancellationToken ct)
    {
        if (smtp == null) throw new InvalidOperationException("no SMTP server is configured (-SmtpServer, or \"smtp\" in the configuration)");
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(smtp.From));
        mail.To.Add(MailboxAddress.Parse(target.Address));
        mail.Subject = message.Subject;
        mail.Body = new TextPart("plain") { Text = message.Body() };
        string? user = smtp.UserName;
        bool login = user != null;
        if (login && smtp.Security == SmtpSecurity.None && !smtp.AllowPlainTextAuth) throw BackupErrors.SmtpPlainTextAuthRefused(smtp.ToString());
        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        var options = smtp.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
            SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTlsWhenAvailable,
        };
        client.Connect(smtp.Host, smtp.Port, options, ct);
        // Checked on the connection itself, before AUTH: with Auto, a server (or someone in the path stripping STARTTLS
        // from its answer) decides whether TLS happens, and the password must not depend on that.
        if (login && !client.IsSecure && !smtp.AllowPlainTextAuth)
        {
            client.Disconnect(quit: true, ct);
            throw BackupErrors.SmtpPlainTextAuthRefused(smtp.ToString());
        }
        if (user != null) client.Authenticate(user, smtp.ResolvePassword() ?? "", ct);
        client.Send(mail, ct);
        client.Disconnect(quit: true, ct);
    }

    void RunCommand(NotificationTarget target, NotificationMessage message)
    {
        if (Trust.DirectoryTrust.FileProblem(target.Address) is { } untrusted) throw BackupErrors.UntrustedNotifyProgram(target.Address, untrusted);
        var psi = new ProcessStartInfo(target.Address) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["SQLITEBACKUP_EVENT"] = message.Event;
        psi.Environment["SQLITEBACKUP_STATUS"] = message.Success ? "success" : "failure";
        psi.Environment["SQLITEBACKUP_SUMMARY"] = message.Summary;
        psi.Environment["SQLITEBACKUP_DATABASE"] = message.Database ?? "";
        psi.Environment["SQLITEBACKUP_BACKUP_ID"] = message.BackupId ?? "";
        psi.Environment["SQLITEBACKUP_BACKUP_PATH"] = message.Path ?? "";
        psi.Environment["SQLITEBACKUP_SIZE"] = message.Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
        psi.Environment["SQLITEBACKUP_ERROR"] = message.Error ?? "";
        psi.Environment["SQLITEBACKUP_DESTINATIONS"] = message.Destinations is { } d ? string.Join("\n", d) : "";
        psi.Environment["SQLITEBACKUP_HOST"] = message.Host;
        psi.Environment["SQLITEBACKUP_TIME"] = message.TimeUtc.ToString("O");
        using var p = Process.Start(psi) ?? throw new IOException($"could not start {target.Address}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(CommandTimeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{target.Address} did not finish within {CommandTimeout.TotalSeconds:0} s");
        }
        if (p.ExitCode != 0) throw new IOException($"{target.Address} exited with {p.ExitCode}: {stderr.Result.Trim()}");
    }
}
