using System.Globalization;

namespace SqliteBackup.Core.Scheduling;

/// <summary>Character checks shared by the renderers. Messages name the argument by position, never by content, so a
/// rejected command line does not end up in an error log.</summary>
internal static class CommandText
{
    /// <summary>Executable first, then each argument, with a label for messages.</summary>
    public static IEnumerable<(string Label, string Value)> Parts(ScheduledCommand command)
    {
        yield return ("the executable path", command.Executable);
        for (int i = 0; i < command.Arguments.Count; i++) yield return ($"argument {i + 1}", command.Arguments[i]);
    }

    public static string Describe(char c) => c switch
    {
        '\n' => "a line feed (U+000A)",
        '\r' => "a carriage return (U+000D)",
        '\t' => "a tab (U+0009)",
        '\0' => "a NUL character (U+0000)",
        _ when char.IsSurrogate(c) => $"an unpaired surrogate (U+{(int)c:X4})",
        _ => $"the control character U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)}",
    };

    /// <summary>Index of the first char that cannot be stored in UTF-8 text at all, or -1.</summary>
    public static int IndexOfUnencodable(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\0') return i;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return i;
        }
        return -1;
    }

    /// <summary>Index of the first char outside XML 1.0's Char production (controls other than tab, LF, CR; U+FFFE/F;
    /// unpaired surrogates), or -1.</summary>
    public static int IndexOfXmlInvalid(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (c is '\t' or '\n' or '\r') continue;
            if (c < 0x20 || c is '\uFFFE' or '\uFFFF' || char.IsSurrogate(c)) return i;
        }
        return -1;
    }

    public static int IndexOfControl(string s)
    {
        for (int i = 0; i < s.Length; i++) if (char.IsControl(s[i])) return i;
        return -1;
    }

    /// <summary>A normalised-enough absolute POSIX path to a file: starts with '/', does not end with '/'.</summary>
    public static void RequirePosixAbsolute(string path, string backEnd)
    {
        if (!path.StartsWith('/') || path.EndsWith('/'))
            throw new ArgumentException($"{backEnd} needs the executable as an absolute path to a file (starting with '/'), not '{path}'.", "definition");
    }
}
