using System.Text;

namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// What a schedule runs: an absolute executable path and its arguments, exactly as the program should receive them in
/// argv. No shell is involved in the meaning; each renderer quotes for whatever its scheduler does to the text, and
/// refuses (ArgumentException) what it cannot carry exactly.
/// </summary>
public sealed record ScheduledCommand
{
    /// <exception cref="ArgumentException">The executable is empty, or some part holds a NUL or an unpaired surrogate,
    /// which no scheduler file can carry.</exception>
    public ScheduledCommand(string executable, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(executable);
        ArgumentNullException.ThrowIfNull(arguments);
        if (executable.Length == 0) throw new ArgumentException("The executable path is empty.", nameof(executable));
        var copy = new string[arguments.Count];
        for (int i = 0; i < copy.Length; i++)
            copy[i] = arguments[i] ?? throw new ArgumentNullException(nameof(arguments), $"Argument {i + 1} is null.");
        Executable = executable;
        Arguments = copy;
        foreach (var (label, value) in CommandText.Parts(this))
        {
            int bad = CommandText.IndexOfUnencodable(value);
            if (bad >= 0)
                throw new ArgumentException($"In the scheduled command, {label} contains {CommandText.Describe(value[bad])}, which no scheduler can pass to a program.", label == "the executable path" ? nameof(executable) : nameof(arguments));
        }
    }

    public string Executable { get; }
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>
    /// One word for a POSIX shell: single quotes around everything, each embedded ' written as '\'' (close, escaped
    /// quote, reopen). Inside single quotes nothing is special to sh, so $(...), backticks, ;, &amp;, |, *, ~ and
    /// backslashes stay literal. The empty string becomes ''.
    /// </summary>
    public static string QuotePosix(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// One argument for a Windows command line, so that CommandLineToArgvW (and the Microsoft C runtime, which agree for
    /// this output) gives back exactly <paramref name="value"/>: left bare when it has no space, tab, newline, vertical tab
    /// or quote and is not empty; otherwise in double quotes, with each quote preceded by a backslash and every run of
    /// backslashes doubled when it comes before a quote or the closing quote. Backslashes elsewhere stay as they are.
    /// </summary>
    public static string QuoteWindows(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 0 && value.IndexOfAny([' ', '\t', '\n', '\v', '"']) < 0) return value;

        var sb = new StringBuilder(value.Length + 2).Append('"');
        int backslashes = 0;
        foreach (char c in value)
        {
            if (c == '\\') { backslashes++; continue; }
            if (c == '"') sb.Append('\\', backslashes * 2 + 1);
            else sb.Append('\\', backslashes);
            backslashes = 0;
            sb.Append(c);
        }
        return sb.Append('\\', backslashes * 2).Append('"').ToString();
    }

    public bool Equals(ScheduledCommand? other) =>
        other is not null && Executable == other.Executable && Arguments.SequenceEqual(other.Arguments);

    public override int GetHashCode() => HashCode.Combine(Executable, Arguments.Count);

    /// <summary>For display only: the command as a POSIX shell would read it.</summary>
    public override string ToString() => string.Join(' ', new[] { Executable }.Concat(Arguments).Select(QuotePosix));
}
