using System.Collections.Concurrent;
using System.Diagnostics;

namespace SqliteBackup.Core.Tests;

/// <summary>
/// The real sqlite3 CLI as another PROCESS, fed statements on demand. Locks are per process on POSIX, so only a
/// connection in another process can show what a checkpoint does to a backup that lost (or kept) its locks.
/// </summary>
public sealed class SqliteShell : IDisposable
{
    readonly Process _process;
    readonly BlockingCollection<string> _lines = new();
    int _marker;

    public SqliteShell(string db, int busyTimeoutMs)
    {
        var psi = new ProcessStartInfo("sqlite3")
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.ArgumentList.Add("-batch");
        psi.ArgumentList.Add(db);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) _lines.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) Errors.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Run($".timeout {busyTimeoutMs}");
    }

    /// <summary>Everything sqlite3 wrote to stderr (busy checkpoints report there too).</summary>
    public ConcurrentBag<string> Errors { get; } = [];

    /// <summary>Sends the statements and waits until sqlite3 has executed them; returns what they printed.</summary>
    public List<string> Run(string sql, int timeoutMs = 60_000)
    {
        string marker = $"--done-{Interlocked.Increment(ref _marker)}--";
        _process.StandardInput.WriteLine(sql);
        _process.StandardInput.WriteLine($".print {marker}");
        _process.StandardInput.Flush();
        var output = new List<string>();
        var until = Stopwatch.StartNew();
        while (true)
        {
            if (!_lines.TryTake(out var line, 200))
            {
                if (_process.HasExited) throw new InvalidOperationException("sqlite3 exited: " + string.Join("\n", Errors));
                if (until.ElapsedMilliseconds > timeoutMs) throw new TimeoutException("sqlite3 did not finish: " + sql);
                continue;
            }
            if (line == marker) return output;
            output.Add(line);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
