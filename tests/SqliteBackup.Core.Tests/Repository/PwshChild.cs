using System.Collections.Concurrent;
using System.Diagnostics;

namespace SqliteBackup.Core.Tests.Repository;

/// <summary>
/// A real pwsh process with the built module imported, running a script: another process holding a repository lock or
/// running a backup, which a test can kill -9 at a moment of its choosing. The script's own $PID is what it prints
/// first ("pid N"): `dotnet pwsh` starts pwsh as a child of the dotnet shim, and the kill must hit pwsh itself.
/// </summary>
public sealed class PwshChild : IDisposable
{
    readonly Process _process;
    readonly BlockingCollection<string> _lines = [];

    public PwshChild(string script, IDictionary<string, string>? env = null)
    {
        string module = Module();
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot() };
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-Command", "-" }) psi.ArgumentList.Add(a);
        psi.RedirectStandardInput = true;
        psi.Environment["SBT_MODULE"] = module;
        psi.Environment["TERM"] = "dumb";
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) _lines.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) { Errors.Add(e.Data); _lines.Add("stderr: " + e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.WriteLine("$ErrorActionPreference = 'Stop'; \"pid $PID\"; Import-Module $env:SBT_MODULE; Add-Type -Path (Join-Path (Split-Path $env:SBT_MODULE) Microsoft.Extensions.Logging.Abstractions.dll)");
        _process.StandardInput.WriteLine(script.ReplaceLineEndings(" ").Replace("\n", " "));
        _process.StandardInput.Close();
        Pid = int.Parse(WaitFor("pid ", TimeSpan.FromSeconds(60))["pid ".Length..]);
    }

    public int Pid { get; }
    public ConcurrentBag<string> Errors { get; } = [];
    public List<string> Output { get; } = [];

    /// <summary>The first line starting with <paramref name="prefix"/>; fails with everything the child said when it does not come.</summary>
    public string WaitFor(string prefix, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_lines.TryTake(out var line, 100))
            {
                Output.Add(line);
                // pwsh may put terminal escapes before the first line.
                int at = line.IndexOf(prefix, StringComparison.Ordinal);
                if (at >= 0) return line[at..];
            }
            else if (_process.HasExited)
            {
                // Its last lines may still be on their way from the pipes: WaitForExit() waits for them.
                _process.WaitForExit();
                if (_lines.Count == 0) break;
            }
        }
        string ended = _process.HasExited ? $"it exited with code {_process.ExitCode}" : "it is still running";
        throw new TimeoutException($"pwsh did not print '{prefix}...'; {ended}; it said:\n{string.Join("\n", Output)}");
    }

    /// <summary>Waits for the script to finish and returns everything it printed.</summary>
    public (int Code, string Output) Finish(TimeSpan timeout)
    {
        if (!_process.WaitForExit((int)timeout.TotalMilliseconds)) throw new TimeoutException("pwsh did not finish: " + string.Join("\n", Output));
        _process.WaitForExit();
        while (_lines.TryTake(out var line)) Output.Add(line);
        return (_process.ExitCode, string.Join("\n", Output));
    }

    /// <summary>SIGKILL to pwsh itself: no finally block, no Dispose runs.</summary>
    public void Kill9()
    {
        Cli.Run("kill", "-9", Pid.ToString());
        for (int i = 0; i < 200 && Alive(Pid); i++) Thread.Sleep(50);
        try { _process.WaitForExit(10_000); } catch (InvalidOperationException) { }
    }

    static bool Alive(int pid)
    {
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z'); }
        catch (IOException) { return false; }
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "SqliteBackup.PS.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("SqliteBackup.PS.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The module build.ps1 lays out (SQLITEBACKUP_MODULE names another); without it the test skips, or fails in CI.</summary>
    public static string Module()
    {
        string module = Environment.GetEnvironmentVariable("SQLITEBACKUP_MODULE") is { Length: > 0 } m ? m : Path.Combine(RepoRoot(), "out", "SqliteBackup", "SqliteBackup.psd1");
        if (File.Exists(module)) return module;
        if (Environment.GetEnvironmentVariable("SQLITEBACKUP_REQUIRE_CLI") == "1")
            throw new InvalidOperationException($"The built module is required (SQLITEBACKUP_REQUIRE_CLI=1) but {module} does not exist: run build.ps1 -Task Build.");
        Skip.If(true, $"the built module {module} does not exist (run build.ps1 -Task Build)");
        return module;
    }

    public void Dispose()
    {
        if (Alive(Pid)) Cli.Run("kill", "-9", Pid.ToString());
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); _process.WaitForExit(10_000); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
