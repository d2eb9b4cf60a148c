using System.Text;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>
/// Splits an argument string the way CommandLineToArgvW and the Microsoft C runtime do for everything after the program
/// name (which has its own simpler rule and is not handled here): blanks separate arguments outside quotes; 2n
/// backslashes before a quote give n backslashes and the quote toggles quoting; 2n+1 give n backslashes and a literal
/// quote; backslashes not before a quote are literal; "" inside quotes is a literal quote (the C runtime since 2008).
/// </summary>
public static class CommandLineToArgv
{
    public static List<string> Split(string commandLine)
    {
        var args = new List<string>();
        int i = 0;
        while (true)
        {
            while (i < commandLine.Length && commandLine[i] is ' ' or '\t') i++;
            if (i >= commandLine.Length) return args;

            var arg = new StringBuilder();
            bool quoted = false;
            while (i < commandLine.Length && (quoted || commandLine[i] is not (' ' or '\t')))
            {
                char c = commandLine[i];
                if (c == '\\')
                {
                    int n = 0;
                    while (i < commandLine.Length && commandLine[i] == '\\') { n++; i++; }
                    if (i < commandLine.Length && commandLine[i] == '"')
                    {
                        arg.Append('\\', n / 2);
                        if (n % 2 == 1) { arg.Append('"'); i++; }
                    }
                    else arg.Append('\\', n);
                }
                else if (c == '"')
                {
                    if (quoted && i + 1 < commandLine.Length && commandLine[i + 1] == '"') { arg.Append('"'); i += 2; }
                    else { quoted = !quoted; i++; }
                }
                else { arg.Append(c); i++; }
            }
            args.Add(arg.ToString());
        }
    }
}
