using System.Text;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// Crontab lines for a user crontab (<c>crontab -l</c> / <c>crontab -</c>; the /etc/cron.d format with its user field is
/// not produced), and edits of crontab text that touch only our own lines.
/// <para>
/// A line is <c>&lt;five fields&gt; &lt;command&gt; # sqlitebackup:&lt;name&gt;</c>. cron hands the command to
/// <c>/bin/sh -c</c> after its own pass over the text, in which an unescaped <c>%</c> ends the command (the rest becomes
/// standard input) and <c>\%</c> becomes <c>%</c> (and, in Debian's cron, <c>\\</c> becomes <c>\</c>). So each argv
/// element is single-quoted for sh, backslashes are kept apart from what follows them, and every <c>%</c> is written
/// <c>\%</c>. The quoting assumes a POSIX shell (sh, dash, bash, ksh, zsh): a crontab that sets SHELL to csh or
/// fish would read it differently.
/// </para>
/// </summary>
internal static class CronTab
{
    public const string MarkerPrefix = "sqlitebackup:";

    /// <summary>Debian's cron refuses ("command too long") a command of 999 bytes or more; the marker counts.</summary>
    public const int MaxCommandBytes = 998;

    /// <summary>One line without a newline.</summary>
    /// <exception cref="ArgumentException">The definition asks for a shutdown backup (cron has no shutdown hook), the
    /// executable is not absolute, an argument holds a line break, or the command is too long for cron.</exception>
    public static string RenderLine(ScheduleDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.BackupOnShutdown)
            throw new ArgumentException("cron cannot run a backup at shutdown; use systemd units for BackupOnShutdown, or register without it.", nameof(definition));
        string command = RenderCommand(definition.Command) + " # " + MarkerPrefix + definition.Name;
        int bytes = Encoding.UTF8.GetByteCount(command);
        if (bytes > MaxCommandBytes)
            throw new ArgumentException($"The crontab command for '{definition.Name}' would be {bytes} bytes, but cron accepts at most {MaxCommandBytes}. Use shorter paths, or move settings into the job's configuration file.", nameof(definition));
        return definition.Schedule.ToCron() + " " + command;
    }

    /// <summary>The argv as crontab command text: sh-quoted words, escaped for cron's pass over them.</summary>
    internal static string RenderCommand(ScheduledCommand command)
    {
        CommandText.RequirePosixAbsolute(command.Executable, "cron");
        var sh = new StringBuilder();
        foreach (var (label, value) in CommandText.Parts(command))
        {
            int lineBreak = value.IndexOfAny(['\n', '\r']);
            if (lineBreak >= 0)
                throw new ArgumentException($"In the scheduled command, {label} contains {CommandText.Describe(value[lineBreak])}, which cannot be written on one crontab line. Use systemd units, or avoid line breaks in paths and arguments.", "definition");
            if (sh.Length > 0) sh.Append(' ');
            sh.Append(ScheduledCommand.QuotePosix(value));
        }
        return EscapeForCron(sh.ToString());
    }

    /// <summary>
    /// cron's pass over the command differs between implementations: all of them turn '\%' into '%', and Debian's (Vixie
    /// cron 3.0) also turns '\\' into '\', while cronie and ISC cron 4 keep '\\'. Any other backslash pair stays. So the
    /// sh text must never have a backslash right before another backslash or a '%'; where an argument has one, its
    /// single-quoted word is closed and reopened after the backslash ('a\''\b' is the word a\\b to sh). Then every '%'
    /// is written '\%', and both kinds of cron hand sh exactly the quoted words.
    /// </summary>
    static string EscapeForCron(string sh)
    {
        var sb = new StringBuilder(sh.Length + 8);
        for (int i = 0; i < sh.Length; i++)
        {
            char c = sh[i];
            if (c == '%') sb.Append('\\');
            sb.Append(c);
            // Backslashes only occur inside single quotes here (and in '\'' before a quote), so '' is an empty string.
            if (c == '\\' && i + 1 < sh.Length && sh[i + 1] is '\\' or '%') sb.Append("''");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Our line for <paramref name="definition"/> replaces the first line marked with its name (later duplicates are
    /// dropped), or is appended. Every other line stays byte for byte, including comments, environment settings, blank
    /// lines and a missing final newline; the only addition is the newline needed to start our line after such a last
    /// line. Our line always ends in a newline, which cron requires.
    /// </summary>
    public static string Upsert(string existingCrontab, ScheduleDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(existingCrontab);
        string line = RenderLine(definition);
        var lines = Split(existingCrontab);
        var sb = new StringBuilder(existingCrontab.Length + line.Length + 2);
        bool placed = false;
        foreach (var (content, newline) in lines)
        {
            if (MarkerName(content) == definition.Name)
            {
                if (!placed) sb.Append(line).Append('\n');
                placed = true;
                continue;
            }
            sb.Append(content).Append(newline);
        }
        if (!placed)
        {
            if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
            sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Drops every line marked with <paramref name="name"/>; all other bytes stay as they were.</summary>
    public static string Remove(string existingCrontab, string name)
    {
        ArgumentNullException.ThrowIfNull(existingCrontab);
        ScheduleDefinition.ValidateName(name);
        var sb = new StringBuilder(existingCrontab.Length);
        foreach (var (content, newline) in Split(existingCrontab))
            if (MarkerName(content) != name) sb.Append(content).Append(newline);
        return sb.ToString();
    }

    /// <summary>Our lines, in order, each with the name from its marker and its text without the newline.</summary>
    public static IReadOnlyList<(string Name, string Line)> Find(string crontab)
    {
        ArgumentNullException.ThrowIfNull(crontab);
        var found = new List<(string, string)>();
        foreach (var (content, _) in Split(crontab))
            if (MarkerName(content) is { } name) found.Add((name, content));
        return found;
    }

    static List<(string Content, string Newline)> Split(string text)
    {
        var lines = new List<(string, string)>();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            if (nl < 0) { lines.Add((text[start..], "")); break; }
            lines.Add((text[start..nl], "\n"));
            start = nl + 1;
        }
        return lines;
    }

    /// <summary>
    /// The name if the line is one of ours, else null. Ours means: a job line (five schedule fields or an @macro, then a
    /// command) whose command, after either cron's pass, ends in a shell comment that is exactly
    /// <c>sqlitebackup:NAME</c> (trailing blanks and a carriage return aside), with nothing of the line cut off by an
    /// unescaped %. Whether the '#' really starts a comment is decided by reading the command as sh does (quotes and
    /// backslashes), so a marker inside a foreign line's quoted argument is not ours. A command that uses backticks or
    /// $'...' before the marker is never taken as ours: deciding it would need a whole shell parser, and we never write
    /// those.
    /// </summary>
    internal static string? MarkerName(string line)
    {
        int i = SkipBlanks(line, 0);
        if (i == line.Length || line[i] == '#') return null;

        // The schedule: one @word, or five fields of cron's characters. An environment line (NAME=value) fails here.
        int fields = line[i] == '@' ? 1 : 5;
        for (int f = 0; f < fields; f++)
        {
            int start = i;
            while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '*' or ',' or '-' or '/' or '@')) i++;
            if (i == start || i == line.Length || line[i] is not (' ' or '\t')) return null;
            i = SkipBlanks(line, i);
        }

        // A crontab saved with CRLF endings still runs (the CR lands in the comment); treat the CR as trailing blank.
        string raw = line[i..].TrimEnd(' ', '\t', '\r');
        int hash = raw.LastIndexOf("# " + MarkerPrefix, StringComparison.Ordinal);
        if (hash < 0) return null;
        string name = raw[(hash + 2 + MarkerPrefix.Length)..];
        if (!ScheduleDefinition.IsValidName(name)) return null;

        // Under either cron's % pass the whole line must stay in the command and end in our comment.
        foreach (bool collapseBackslashes in (ReadOnlySpan<bool>)[false, true])
        {
            string? command = CronPercentPass(raw, collapseBackslashes);
            if (command is null) return null;
            int commentAt = ShellCommentStart(command);
            if (commentAt < 0 || command[commentAt..] != "# " + MarkerPrefix + name) return null;
        }
        return name;
    }

    static int SkipBlanks(string s, int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t') i++;
        return i;
    }

    /// <summary>The command as cron passes it to sh: '\%' becomes '%', '\\' becomes '\' in Debian's dialect, other
    /// backslash pairs stay. Null when an unescaped % would cut the text short.</summary>
    static string? CronPercentPass(string text, bool collapseBackslashes)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                char next = text[++i];
                if (!(next == '%' || (collapseBackslashes && next == '\\'))) sb.Append(c);
                sb.Append(next);
                continue;
            }
            if (c == '%') return null;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Where sh's comment starts in a one-line command (a '#' outside quotes that begins a word), or -1; also
    /// -1 when the text uses constructs this reader does not follow.</summary>
    static int ShellCommentStart(string s)
    {
        bool wordStart = true;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '#' && wordStart) return i;
            wordStart = c is ' ' or '\t' or ';' or '&' or '|' or '(' or ')' or '<' or '>';
            switch (c)
            {
                case '\\':
                    i++;
                    break;
                case '\'':
                    i = s.IndexOf('\'', i + 1);
                    if (i < 0) return -1;
                    break;
                case '"':
                    for (i++; i < s.Length && s[i] != '"'; i++)
                    {
                        if (s[i] == '`' || (s[i] == '$' && i + 1 < s.Length && s[i + 1] == '(')) return -1;
                        if (s[i] == '\\') i++;
                    }
                    if (i >= s.Length) return -1;
                    break;
                case '`':
                    return -1;
                case '$' when i + 1 < s.Length && s[i + 1] == '\'':
                    return -1;
            }
        }
        return -1;
    }
}
