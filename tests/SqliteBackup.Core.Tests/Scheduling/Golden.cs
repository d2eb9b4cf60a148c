using System.Runtime.CompilerServices;
using System.Text;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>
/// Compares rendered text with a file under golden/ (copied to the test output). The files are rewritten only when
/// SQLITEBACKUP_UPDATE_GOLDEN=1 is set, in the source tree, so the change shows up in git; otherwise a difference fails.
/// </summary>
public static class Golden
{
    public static void Match(string fileName, string actual, [CallerFilePath] string callerFile = "")
    {
        string sourcePath = Path.Combine(Path.GetDirectoryName(callerFile)!, "golden", fileName);
        if (Environment.GetEnvironmentVariable("SQLITEBACKUP_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(sourcePath, actual, new UTF8Encoding(false));
            return;
        }

        string path = Path.Combine(AppContext.BaseDirectory, "Scheduling", "golden", fileName);
        Assert.True(File.Exists(path), $"Golden file {fileName} is missing. Run the tests once with SQLITEBACKUP_UPDATE_GOLDEN=1 to write it, then review it.");
        // A checkout with autocrlf could add carriage returns; the renderers never write one.
        string expected = File.ReadAllText(path, Encoding.UTF8).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Equal(expected, actual);
    }
}
