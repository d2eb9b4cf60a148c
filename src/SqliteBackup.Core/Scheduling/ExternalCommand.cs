using System.Diagnostics;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Scheduling;

/// <summary>Runs a scheduler's own tool (crontab, systemctl, launchctl, schtasks) with an argument list, never through a shell.</summary>
internal static class ExternalCommand
{
    public static (int Code, string Out, string Err) Run(string program, IEnumerable<string> args, string? stdin = null, int timeoutMs = 60_000)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin != null,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw BackupErrors.SchedulerNotAvailable(program, e);
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (stdin != null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            if (!p.WaitForExit(timeoutMs))
            {
                p.Kill(entireProcessTree: true);
                throw BackupErrors.SchedulerTimedOut($"{program} {string.Join(' ', args)}", program, timeoutMs / 1000);
            }
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    public static string RunChecked(string program, IEnumerable<string> args, string? stdin = null)
    {
        var list = args.ToList();
        var (code, output, error) = Run(program, list, stdin);
        if (code != 0)
            throw BackupErrors.SchedulerCommandFailed($"{program} {string.Join(' ', list)}", program, code, error, "Check that the scheduler is running and that you may change it.");
        return output;
    }
}
