using System.Diagnostics;

namespace SqliteBackup.Core.Tests;

/// <summary>
/// Another PROCESS (the real sqlite3 CLI) committing small paired transactions for as long as it lives,
/// so tests see what a backup does to and with a live application.
/// </summary>
public sealed class Writer : IDisposable
{
    readonly Process _process;
    readonly string _script;

    /// <param name="paced">
    /// Burn a few milliseconds of CPU between commits, as an application does between its writes. In
    /// rollback-journal mode a writer with no gap at all starves every reader, the CLI included.
    /// </param>
    public Writer(string db, bool paced = false, int transactions = 200_000)
    {
        _script = db + ".writer.sql";
        using (var w = new StreamWriter(_script))
        {
            w.WriteLine(".timeout 20000");
            for (int i = 1; i <= transactions; i++)
            {
                w.WriteLine($"BEGIN IMMEDIATE; INSERT INTO a(v) VALUES({i}); INSERT INTO b(v) VALUES({i}); COMMIT;");
                if (paced) w.WriteLine("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) SELECT count(*) FROM n;");
            }
        }
        var psi = new ProcessStartInfo("sqlite3") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(db);
        psi.ArgumentList.Add(".read " + _script);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) Errors.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(20);
        while (Db.Count(db, "a") < 20)
        {
            if (DateTime.UtcNow > until || _process.HasExited) throw new InvalidOperationException("the writer did not start: " + string.Join("\n", Errors));
            Thread.Sleep(10);
        }
    }

    public List<string> Errors { get; } = [];
    public bool Running => !_process.HasExited;

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(); _process.WaitForExit(10_000); } catch (InvalidOperationException) { }
        _process.Dispose();
        File.Delete(_script);
    }
}
