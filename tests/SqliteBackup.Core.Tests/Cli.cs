using System.Diagnostics;

namespace SqliteBackup.Core.Tests;

/// <summary>Runs the real sqlite3, zstd and gzip programs, so interop is proven by the tools users have.</summary>
public static class Cli
{
    public static bool Has(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator)
            .Any(d => File.Exists(System.IO.Path.Combine(d, program)));

    /// <summary>The absolute path of a program on PATH (Require it first).</summary>
    public static string Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator)
            .Select(d => System.IO.Path.Combine(d, program)).First(File.Exists);

    /// <summary>CI sets SQLITEBACKUP_REQUIRE_CLI=1 so a missing program fails instead of skipping.</summary>
    public static void Require(string program)
    {
        if (Has(program)) return;
        if (Environment.GetEnvironmentVariable("SQLITEBACKUP_REQUIRE_CLI") == "1")
            throw new InvalidOperationException($"'{program}' is required (SQLITEBACKUP_REQUIRE_CLI=1) but not on PATH.");
        Skip.If(true, $"'{program}' is not installed");
    }

    public static (int Code, string Out, string Err) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException(program); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
