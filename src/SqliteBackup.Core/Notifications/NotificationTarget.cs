namespace SqliteBackup.Core.Notifications;

public enum NotificationKind
{
    Webhook,
    Email,
    Command,
}

/// <summary>
/// Where a notification goes: an http(s) URL (a JSON POST), 'mailto:address' (SMTP), or the path of a program (run
/// with the outcome in environment variables, never through a shell).
/// </summary>
public sealed record NotificationTarget(NotificationKind Kind, string Address)
{
    public static NotificationTarget Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException("A notification target is empty.");
        text = text.Trim();
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            if (uri.Scheme is "http" or "https") return new(NotificationKind.Webhook, uri.ToString());
            if (uri.Scheme == "mailto")
            {
                string address = text["mailto:".Length..];
                if (!System.Net.Mail.MailAddress.TryCreate(address, out _)) throw new FormatException($"'{text}' is not a valid mailto: address.");
                return new(NotificationKind.Email, address);
            }
        }
        if (Path.IsPathRooted(text)) return new(NotificationKind.Command, text);
        throw new FormatException($"'{text}' is not a notification target: use an http(s):// URL, mailto:address, or the absolute path of a program.");
    }

    /// <summary>What may appear in logs: a webhook URL can carry a token in its path or query, so only scheme and host.</summary>
    public string Redacted => Kind == NotificationKind.Webhook && Uri.TryCreate(Address, UriKind.Absolute, out var u) ? $"{u.Scheme}://{u.Authority}/…" : Kind == NotificationKind.Email ? "mailto:" + Address : Address;

    public override string ToString() => Redacted;
}
