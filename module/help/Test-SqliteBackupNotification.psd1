@{
    Synopsis    = 'Sends a test notification to each target, to check webhooks, e-mail and hooks before a real failure needs them.'
    Description = @(
        'Test-SqliteBackupNotification sends a "NotificationTest" message to every -Notify target and reports, per target, whether it was delivered. Webhook URLs are shown with only scheme and host, since their path or query often carries a token.'
    )
    Parameters  = @{}
    Inputs      = @(@{ Type = 'None'; Description = 'Nothing from the pipeline.' })
    Outputs     = @(@{ Type = 'System.Management.Automation.PSObject'; Description = 'Target, Kind and Sent for each target.' })
    Examples    = @(
        @{ Code = 'Test-SqliteBackupNotification -Notify https://hooks.example.com/T0K3N'; Remarks = 'Posts a test message to a webhook.' }
        @{ Code = 'Test-SqliteBackupNotification -Notify mailto:ops@example.com -SmtpServer smtp.example.com -SmtpCredential (Get-Credential)'; Remarks = 'Sends a test e-mail through an authenticated SMTP server.' }
    )
    Links       = @('New-SqliteBackup', 'Invoke-SqliteBackupJob')
}
