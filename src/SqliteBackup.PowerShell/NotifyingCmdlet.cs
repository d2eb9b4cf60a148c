using System.Management.Automation;
using System.Net;
using Microsoft.Extensions.Logging;
using SqliteBackup.Core.Logging;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Notifications;

namespace SqliteBackup.PowerShell;

public enum NotifyOn
{
    Failure,
    Always,
}

/// <summary>The -Notify parameters shared by commands that report outcomes. A notification that fails is a warning, never an error.</summary>
public abstract class NotifyingCmdlet : SqliteBackupCmdlet
{
    [Parameter] [ValidateNotNullOrEmpty] public string[] Notify { get; set; } = [];
    [Parameter] public NotifyOn NotifyOn { get; set; } = NotifyOn.Failure;
    [Parameter] [ValidateNotNullOrEmpty] public string? SmtpServer { get; set; }
    [Parameter] [ValidateRange(1, 65535)] public int SmtpPort { get; set; } = 587;
    [Parameter] [ValidateNotNullOrEmpty] public string SmtpFrom { get; set; } = "sqlitebackup@" + Environment.MachineName;
    [Parameter] public SmtpSecurity SmtpSecurity { get; set; } = SmtpSecurity.Auto;
    [Parameter] [Credential] public PSCredential? SmtpCredential { get; set; }
    /// <summary>Lets -SmtpCredential go over a connection without TLS; refused otherwise (SmtpPlainTextAuthRefused).</summary>
    [Parameter] public SwitchParameter SmtpAllowPlainTextAuth { get; set; }

    IReadOnlyList<NotificationTarget> _targets = [];

    protected override void BeginProcessing()
    {
        try { _targets = Notify.Select(NotificationTarget.Parse).ToList(); }
        catch (FormatException e)
        {
            ThrowTerminatingError(ErrorRecords.From(BackupErrors.InvalidNotificationTarget(e.Message, Notify)));
        }
    }

    private protected SmtpSettings? Smtp() => SmtpServer == null ? null : new SmtpSettings(SmtpServer, SmtpPort, SmtpFrom)
    {
        Security = SmtpSecurity,
        UserName = SmtpCredential?.UserName,
        Password = SmtpCredential is null ? null : new NetworkCredential("", SmtpCredential.Password).Password,
        AllowPlainTextAuth = SmtpAllowPlainTextAuth,
    };

    private protected void NotifySuccess(Func<NotificationMessage> message, ILogger? logger = null)
    {
        if (_targets.Count > 0 && NotifyOn == NotifyOn.Always) Send(message(), logger);
    }

    private protected void NotifyFailure(NotificationMessage message, ILogger? logger = null)
    {
        if (_targets.Count > 0) Send(message, logger);
    }

    /// <summary>
    /// The alert goes out before the error is written: with -ErrorAction Stop (or $ErrorActionPreference = 'Stop',
    /// as admin scripts set) WriteError throws, and nothing after it would run.
    /// </summary>
    private protected void Failed(SqliteBackupException error, EventId notificationEvent, string? database, ILogger? logger = null)
    {
        NotifyFailure(NotificationMessage.ForFailure(notificationEvent, database, error), logger);
        WriteError(ErrorRecords.From(error));
    }

    /// <summary>The event an alert about a failure outside the command's own work (a path, a lookup) is sent under.</summary>
    private protected virtual EventId FailureEvent => BackupEvents.JobFailed;

    /// <summary>Every error this command writes alerts first: a wildcard that matches nothing or a backup that is gone is a failure too.</summary>
    private protected override void ReportError(SqliteBackupException e) => Failed(e, FailureEvent, null);

    void Send(NotificationMessage message, ILogger? logger) => new Notifier(logger ?? Logger, Smtp()).Send(_targets, message, Cancellation);
}
