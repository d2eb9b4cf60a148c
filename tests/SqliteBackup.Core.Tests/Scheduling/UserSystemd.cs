using System.Diagnostics;

namespace SqliteBackup.Core.Tests.Scheduling;

/// <summary>
/// Runs a real systemd user manager for a test, so units are proven by systemd itself rather than by our reading of its
/// manual. systemd --user only starts when /run/systemd/system exists (the mark of a systemd-booted machine), so it
/// runs inside a private mount namespace with a tmpfs over /run/systemd; nothing outside the namespace changes. Needs
/// root (for unshare -m) and systemd installed; skipped otherwise.
/// </summary>
public static class UserSystemd
{
    static string? Binary => new[] { "/lib/systemd/systemd", "/usr/lib/systemd/systemd" }.FirstOrDefault(File.Exists);

    public static void SkipUnlessAvailable()
    {
        Skip.If(Binary is null || !Cli.Has("systemctl") || !Cli.Has("unshare"), "systemd, systemctl or unshare is not installed");
        Skip.IfNot(Environment.UserName == "root", "a private mount namespace needs root");
        Skip.IfNot(Directory.Exists("/run/systemd"), "/run/systemd does not exist");
    }

    /// <summary>
    /// Installs <paramref name="units"/> as user units under a private HOME in <paramref name="dir"/>, starts the manager,
    /// runs each <c>systemctl --user</c> command line in order, and stops the manager. Returns the combined output.
    /// </summary>
    public static string Run(TempDir dir, IEnumerable<(string FileName, string Content)> units, params string[] systemctlCommands)
    {
        string home = dir["home"], runtime = dir["xdg"], unitDir = Path.Combine(home, ".config", "systemd", "user");
        Directory.CreateDirectory(unitDir);
        Directory.CreateDirectory(runtime);
        PrivateToOwner(runtime);
        foreach (var (name, content) in units)
        {
            // A name with a folder is a drop-in (app.service.d/x.conf).
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(unitDir, name))!);
            File.WriteAllText(Path.Combine(unitDir, name), content);
        }
        // The manager starts this empty target instead of default.target, so none of the machine's user units run.
        File.WriteAllText(Path.Combine(unitDir, "sbt-idle.target"), "[Unit]\nDescription=Nothing but the test\n");

        string script = dir["systemd.sh"];
        File.WriteAllText(script, $$"""
            mount -t tmpfs tmpfs /run/systemd || exit 90
            mkdir -p /run/systemd/system
            export HOME='{{home}}' XDG_RUNTIME_DIR='{{runtime}}'
            '{{Binary}}' --user --unit=sbt-idle.target > '{{dir["manager.log"]}}' 2>&1 &
            pid=$!
            trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
            i=0
            until systemctl --user show-environment > /dev/null 2>&1; do
              i=$((i+1)); [ $i -gt 100 ] && { echo "user manager did not come up"; cat '{{dir["manager.log"]}}'; exit 91; }
              sleep 0.1
            done
            {{string.Join("\n", systemctlCommands.Select(c => $"echo \"> {c}\"; systemctl --user {c} 2>&1; echo \"exit $?\""))}}
            """);

        var psi = new ProcessStartInfo("unshare", ["-m", "--propagation", "private", "/bin/sh", script])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("systemd user manager test"); }
        string output = stdout.Result + stderr.Result;
        Skip.If(p.ExitCode == 90, "cannot mount in a private namespace here: " + output);
        Assert.True(p.ExitCode != 91, output);
        return output;
    }

    /// <summary>A program that writes its arguments, NUL-separated, to <paramref name="outputFile"/>.</summary>
    public static string ArgvDumper(TempDir dir, string name, string outputFile)
    {
        string path = dir[name];
        File.WriteAllText(path, $"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > '{outputFile}'\n");
        PrivateToOwner(path);
        return path;
    }

    /// <summary>rwx for the owner only: what XDG_RUNTIME_DIR must be, and enough to run a script.</summary>
    public static void PrivateToOwner(string path)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static string[] ReadArgv(string outputFile) => File.ReadAllText(outputFile).Split('\0')[..^1];
}
