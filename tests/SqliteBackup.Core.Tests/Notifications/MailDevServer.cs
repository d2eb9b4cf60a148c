using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace SqliteBackup.Core.Tests.Notifications;

/// <summary>
/// A real SMTP server (maildev, from npm) on 127.0.0.1, read back over its HTTP API. .ci/run installs it and sets
/// SQLITEBACKUP_MAILDEV to its executable; elsewhere the tests skip unless SQLITEBACKUP_REQUIRE_CLI=1.
/// </summary>
public sealed class MailDevServer : IDisposable
{
    readonly Process _process;
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public MailDevServer(string? user = null, string? password = null)
    {
        string? exe = Environment.GetEnvironmentVariable("SQLITEBACKUP_MAILDEV");
        if (string.IsNullOrEmpty(exe) || !File.Exists(exe))
        {
            if (Environment.GetEnvironmentVariable("SQLITEBACKUP_REQUIRE_CLI") == "1")
                throw new InvalidOperationException("maildev is required (SQLITEBACKUP_REQUIRE_CLI=1) but SQLITEBACKUP_MAILDEV does not name it.");
            Skip.If(true, "maildev is not installed (set SQLITEBACKUP_MAILDEV)");
        }
        SmtpPort = FreePort();
        WebPort = FreePort();
        var psi = new ProcessStartInfo(exe!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--ip", "127.0.0.1", "--smtp", SmtpPort.ToString(), "--web-ip", "127.0.0.1", "--web", WebPort.ToString(), "--silent" })
            psi.ArgumentList.Add(a);
        if (user != null) { psi.ArgumentList.Add("--incoming-user"); psi.ArgumentList.Add(user); psi.ArgumentList.Add("--incoming-pass"); psi.ArgumentList.Add(password!); }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try { Http.GetAsync($"http://127.0.0.1:{WebPort}/api/email").Result.EnsureSuccessStatusCode(); break; }
            catch (Exception) when (DateTime.UtcNow < deadline && !_process.HasExited) { Thread.Sleep(200); }
        }
    }

    public int SmtpPort { get; }
    public int WebPort { get; }

    public List<JsonElement> Emails() =>
        JsonDocument.Parse(Http.GetStringAsync($"http://127.0.0.1:{WebPort}/api/email").Result).RootElement.EnumerateArray().ToList();

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
