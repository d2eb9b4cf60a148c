using System.Globalization;
using System.Text;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>
/// Reads an Exec*= value back into argv the way systemd does, written from systemd.service(5) "Command lines" and
/// systemd.syntax(7) "Quoting": % specifiers over the whole value first (only %% is expected here: anything else would
/// be expanded by systemd), then words split at blanks with double quotes removed and C escapes decoded, then $NAME
/// and ${NAME} expansion in the arguments (only $$ is expected), not in the executable. Strict: anything our renderer
/// should never produce throws, so the round trip also checks that nothing was left to systemd's interpretation.
/// </summary>
public static class SystemdExecLine
{
    public static List<string> Parse(string value)
    {
        var words = Words(Specifiers(value));
        for (int i = 1; i < words.Count; i++) words[i] = Dollars(words[i]);
        return words;
    }

    static string Specifiers(string s)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '%') { sb.Append(s[i]); continue; }
            if (i + 1 < s.Length && s[i + 1] == '%') { sb.Append('%'); i++; continue; }
            throw new FormatException($"Unescaped specifier at {i} in: {s}");
        }
        return sb.ToString();
    }

    static string Dollars(string s)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '$') { sb.Append(s[i]); continue; }
            if (i + 1 < s.Length && s[i + 1] == '$') { sb.Append('$'); i++; continue; }
            throw new FormatException($"Unescaped $ at {i} would expand a variable in: {s}");
        }
        return sb.ToString();
    }

    static List<string> Words(string s)
    {
        var words = new List<string>();
        int i = 0;
        while (true)
        {
            while (i < s.Length && s[i] is ' ' or '\t') i++;
            if (i >= s.Length) return words;
            if (s[i] != '"') throw new FormatException($"Expected a double-quoted word at {i} in: {s}");
            var w = new StringBuilder();
            for (i++; ; i++)
            {
                if (i >= s.Length) throw new FormatException($"Unterminated quote in: {s}");
                char c = s[i];
                if (c == '"') { i++; break; }
                if (c != '\\') { w.Append(c); continue; }
                char e = s[++i];
                switch (e)
                {
                    case 'a': w.Append('\a'); break;
                    case 'b': w.Append('\b'); break;
                    case 'f': w.Append('\f'); break;
                    case 'n': w.Append('\n'); break;
                    case 'r': w.Append('\r'); break;
                    case 't': w.Append('\t'); break;
                    case 'v': w.Append('\v'); break;
                    case 's': w.Append(' '); break;
                    case '\\' or '"' or '\'': w.Append(e); break;
                    case 'x':
                        w.Append((char)int.Parse(s.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i += 2;
                        break;
                    default: throw new FormatException($"Escape \\{e} not expected in: {s}");
                }
            }
            if (i < s.Length && s[i] is not (' ' or '\t')) throw new FormatException($"Word does not end at a blank at {i} in: {s}");
            words.Add(w.ToString());
        }
    }
}
