using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace SqliteBackup.Core.Storage.Sftp;

/// <summary>
/// The server's hash command started before there is anything to hash, waiting on its input for the path. Started beside
/// a large upload, it has the session's start-up behind it when the upload ends: a channel opened, the command asked
/// for (two round trips) and the account's shell started (75 ms here, where root's ~/.bashrc runs pyenv), all paid
/// while the upload runs. The hash itself is still of the stored file, read whole after it is in place.
/// </summary>
sealed class WaitingHash : IDisposable
{
    readonly SshCommand _command;
    readonly Task _run;
    readonly Stream _input;

    /// <summary>The connection it runs on: of no use once that connection is replaced.</summary>
    public SshClient Client { get; }

    WaitingHash(SshClient client, SshCommand command, Task run, Stream input) => (Client, _command, _run, _input) = (client, command, run, input);

    /// <summary>Reads one line, the path, then hashes it as <see cref="SftpStore.HashCommand"/> would.</summary>
    internal const string Command = "IFS= read -r f || exit 9; " + SftpStore.HashOfF;

    /// <summary>Started on <paramref name="client"/>; null where it cannot be (the account may not run commands): the caller then runs its own.</summary>
    public static WaitingHash? Start(SshClient client)
    {
        SshCommand? command = null;
        try
        {
            command = client.CreateCommand(Command);
            var run = command.ExecuteAsync(CancellationToken.None);
            // Observed here, so that a command refused while nobody waits on it is no unobserved exception.
            _ = run.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return new WaitingHash(client, command, run, command.CreateInputStream());
        }
        catch (Exception e) when (e is SshException or InvalidOperationException or ObjectDisposedException or IOException)
        {
            command?.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Hashes <paramref name="path"/>: what the command printed, its exit status and its error output; null when the
    /// command died before it could be given the path (the caller runs a new one). Throws TimeoutException after
    /// <paramref name="limit"/>, as a command run then would.
    /// </summary>
    public (string Output, int? ExitStatus, string Error)? Hash(string path, TimeSpan limit, CancellationToken ct)
    {
        if (_run.IsCompleted) return null;
        try
        {
            _input.Write(Encoding.UTF8.GetBytes(path + "\n"));
            _input.Dispose();
        }
        catch (Exception e) when (e is SshException or InvalidOperationException or ObjectDisposedException or IOException) { return null; }
        bool finished;
        try { finished = _run.Wait(limit, ct); }
        catch (AggregateException) { return null; }
        catch (OperationCanceledException)
        {
            Stop();
            throw;
        }
        if (!finished)
        {
            Stop();
            throw new TimeoutException($"the hash command did not finish within {limit.TotalSeconds:0} s");
        }
        return (_command.Result, _command.ExitStatus, _command.Error);
    }

    /// <summary>
    /// A hash given up on (out of time, cancelled) is asked to stop, as a command run after the upload is when its
    /// timeout or cancellation fires (SSH.NET sends it SIGTERM): closing its channel alone leaves it reading the whole
    /// file on the server for nobody, since it writes nothing until the end.
    /// </summary>
    void Stop()
    {
        try { _command.CancelAsync(); } catch (Exception e) when (e is SshException or InvalidOperationException or ObjectDisposedException or IOException) { }
    }

    public void Dispose()
    {
        // Its input closed, the waiting shell reads end of file and exits.
        try { _input.Dispose(); } catch (Exception e) when (e is SshException or ObjectDisposedException or IOException or InvalidOperationException) { }
        try { _command.Dispose(); } catch (Exception e) when (e is SshException or ObjectDisposedException or IOException or InvalidOperationException) { }
    }
}
