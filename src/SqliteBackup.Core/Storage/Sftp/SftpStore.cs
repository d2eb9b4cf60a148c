using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;

namespace SqliteBackup.Core.Storage.Sftp;

/// <summary>
/// Backups in a directory on an SFTP server (sftp://user@host:port/path), through one SSH connection opened on first
/// use. An object is written owner-only (0600) under a temporary name in the same directory (which no listing shows),
/// then renamed into place: create-only is SFTP's plain rename, which OpenSSH performs as link(2) and so refuses when
/// the name exists; a replacement is posix-rename@openssh.com. A killed writer leaves only a temporary, which
/// <see cref="AbortStaleUploads"/> removes. SFTP keeps no checksum, so <see cref="StoredObject.Sha256"/> stays null;
/// where the account may run commands, the server hashes the stored file itself (<see cref="ServiceSha256"/>, openssl or sha256sum
/// over a second SSH connection: SSH.NET cannot open an exec channel on the SFTP one), otherwise copies are checked by
/// reading them back.
/// <para>
/// Not flushed to the server's disk unless the location asks (?fsync=true, <see cref="FlushOnServer"/>; SSH.NET 2026.0.0
/// cannot send fsync@openssh.com, so that needs an account that may run commands, or nothing is written): otherwise a
/// crash of the server's machine right after an upload can lose the object's last bytes (a manifest then points at a
/// short object, which verification reports).
/// </para>
/// </summary>
public sealed class SftpStore : IBackupStore, IStaleUploadCleanup, IServiceChecksum
{
    /// <summary>What every temporary of ours is called: the local store's marker, so one rule tells ours apart.</summary>
    internal static readonly string TempPrefix = AtomicFile.TempPrefix + "sftp-";

    readonly SftpLocation _location;
    readonly StoreOptions _options;
    readonly object _connecting = new();
    SftpClient? _client;
    SshClient? _shell;
    Task<SshClient>? _shellConnecting;
    WaitingHash? _waitingHash;
    bool _noShellHash;
    bool _directorySeen;
    long _bytesRead;

    /// <summary>Bytes of objects read through SFTP by this instance (what a read-back costs; none when the server hashed).</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Whether an upload opened the command connection for the server's hash while it ran (tests).</summary>
    internal bool HashConnectionOpenedEarly { get; private set; }

    /// <summary>How many hashes were answered by a command started beside the upload (tests).</summary>
    internal int HashesByWaitingCommand { get; private set; }

    /// <summary>Why the server's own hash is not used (null while it is, or not yet asked): a refusal is remembered for the instance.</summary>
    public string? ServiceHashUnavailable { get; private set; }

    public SftpStore(Uri location, StoreOptions? options = null)
    {
        _options = options ?? new StoreOptions();
        _location = SftpLocation.Parse(location, _options.UserName);
    }

    public string Location => _location.Text;

    /// <summary>
    /// An hour since its last write, by the server's clock. Unlike an S3 multipart upload, which shows only when it began
    /// (hence S3's day), a temporary here shows its last write, and a live upload writes at least every 60 s (an SFTP
    /// request unanswered for longer fails it), so an hour-old one is no live upload's. A day was too long: a killed
    /// upload of a large backup kept its bytes on the server's disk through the next runs, which a nearly full disk then
    /// refused (StoreFull). The same hour as an orphan's age before it is reported.
    /// </summary>
    public TimeSpan StaleAfter => TimeSpan.FromHours(1);

    string DirectoryPath => _location.Directory.Length == 0 ? "." : _location.Directory;

    /// <summary>The connection this thread's current operation was given: the one to drop when that operation's connection fails.</summary>
    readonly ThreadLocal<SftpClient?> _given = new();

    SftpClient Client
    {
        get
        {
            lock (_connecting)
            {
                if (_client is not { IsConnected: true })
                {
                    _client?.Dispose();
                    _client = null;
                    _client = SftpConnector.Connect(_location, _options);
                }
                return _given.Value = _client;
            }
        }
    }

    public IReadOnlyList<StoredObject> List(CancellationToken ct = default) => Run(() =>
    {
        var list = new List<StoredObject>();
        IEnumerable<ISftpFile> entries;
        try { entries = Client.ListDirectory(DirectoryPath); }
        catch (SftpPathNotFoundException e)
        {
            if (!_options.Create) throw Missing(e);
            EnsureDirectory(create: true);
            entries = [];
        }
        foreach (var f in entries)
        {
            ct.ThrowIfCancellationRequested();
            // Symlinks are not followed (the listing's attributes are lstat's), as in a local backup directory.
            if (!f.IsRegularFile || f.Name.StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal)) continue;
            list.Add(new StoredObject(f.Name, f.Length, f.LastWriteTimeUtc));
        }
        _directorySeen = true;
        return (IReadOnlyList<StoredObject>)list;
    }, ct);

    public StoredObject? Stat(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        return Run(() =>
        {
            try
            {
                var a = Client.GetAttributes(_location.PathOf(name));
                return a.IsRegularFile ? new StoredObject(name, a.Size, a.LastWriteTimeUtc) : null;
            }
            catch (SftpPathNotFoundException)
            {
                EnsureDirectory(_options.Create);
                return null;
            }
        }, ct);
    }

    public Stream OpenRead(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        string path = _location.PathOf(name);
        return Run(() =>
        {
            try
            {
                var first = Open(path);
                var (length, written, on) = (first.Attributes.Size, first.Attributes.LastWriteTimeUtc, first.On);
                var resuming = new ResumingReadStream(first.File, length, (offset, _) =>
                {
                    var (rest, nowOn) = ReopenAt(name, path, offset, length, written, on);
                    on = nowOn;
                    return rest;
                }, SftpRetries.IsTransient);
                return (Stream)new ReadStream(resuming, Location, n => Interlocked.Add(ref _bytesRead, n));
            }
            catch (SftpPathNotFoundException)
            {
                EnsureDirectory(_options.Create);
                throw BackupErrors.StoreObjectNotFound(Location, name);
            }
        }, ct);
    }

    /// <summary>The file, and its size and time asked right after it was opened (what a reopen must find again), and the connection it is read on.</summary>
    (SftpFileStream File, SftpFileAttributes Attributes, SftpClient On) Open(string path)
    {
        var client = Client;
        var file = client.OpenRead(path);
        try { return (file, client.GetAttributes(path), client); }
        catch { file.Dispose(); throw; }
    }

    /// <summary>
    /// The rest of a file whose read was cut, on a new connection (with the operation's retries), only while it still
    /// has the size and time it had when first opened: a backup replaced in between is not joined to the old one's start.
    /// </summary>
    (Stream Remainder, SftpClient On) ReopenAt(string name, string path, long offset, long length, DateTime written, SftpClient failed) => Run(() =>
    {
        Reconnect(failed);
        (SftpFileStream File, SftpFileAttributes Attributes, SftpClient On) again;
        try { again = Open(path); }
        catch (SftpPathNotFoundException) { throw BackupErrors.StoreObjectChangedWhileRead(Location, name, "it was deleted"); }
        if (again.Attributes.Size != length || again.Attributes.LastWriteTimeUtc != written)
        {
            again.File.Dispose();
            throw BackupErrors.StoreObjectChangedWhileRead(Location, name, $"it is now {again.Attributes.Size} bytes written {again.Attributes.LastWriteTimeUtc:u}, it was {length} bytes written {written:u}");
        }
        again.File.Seek(offset, SeekOrigin.Begin);
        return ((Stream)again.File, again.On);
    }, CancellationToken.None);

    public void Put(string name, Stream content, bool createOnly, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        string final = _location.PathOf(name);
        string temp = "";
        bool created = false, renaming = false;
        var source = new SourceStream(content);
        try
        {
            Run(() =>
            {
                string? abandoned = created ? temp : null; // an attempt whose connection failed before the upload began
                temp = NewTempPath();
                created = false;
                EnsureDirectory(_options.Create);
                ProveFlush(ct);
                var client = Client;
                if (abandoned != null) DeleteQuietly(abandoned);
                // Created empty and made owner-only before a byte of the backup is in it; the upload below truncates
                // and writes the same file, which keeps its mode.
                try
                {
                    client.Open(temp, FileMode.CreateNew, FileAccess.Write).Dispose();
                    created = true;
                    client.ChangePermissions(temp, 600);
                    Upload(client, source, temp, progress, ct);
                }
                catch (Exception e) when (e is SourceFailedException || e is SshException s && IsGenericFailure(s))
                {
                    // SFTP v3 says a full disk (ENOSPC) only as its generic "Failure": asked while our temporary still
                    // holds what it took, the file system tells whether that was why.
                    string? room = e is SshException ? Full(client) : null;
                    // SSH.NET leaves the server's handle of a failed upload open, and while it is open the server keeps
                    // the temporary's blocks, deleted or not: a full disk stayed full for every later write of this
                    // process. The temporary goes now, and this connection with it, which closes the handle.
                    DeleteQuietly(temp);
                    created = false;
                    Reconnect(client);
                    if (room != null) throw BackupErrors.StoreFull(Location, name, room, e);
                    throw;
                }
                renaming = true;
                if (createOnly)
                {
                    try { client.RenameFile(temp, final, isPosix: false); }
                    // Only a refusal says another object has the name: after a lost or late answer, the one there may be ours.
                    catch (SshException e) when (e is not (SshConnectionException or SshOperationTimeoutException) && Exists(client, final))
                    {
                        throw BackupErrors.StoreObjectExists(Location, name);
                    }
                }
                else
                {
                    try { client.RenameFile(temp, final, isPosix: true); }
                    catch (NotSupportedException e) { throw BackupErrors.SftpRequestFailed(Location, "the server offers no posix-rename@openssh.com, so an object cannot be replaced atomically", e); }
                }
                created = false;
            }, ct, retryable: () => !source.Started);
            FlushOnServer(final, source.Bytes, ct);
        }
        catch (SourceFailedException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!);
        }
        // The server may have renamed it into place with its answer lost: it may be there, whole.
        catch (SqliteBackupException e) when (created && e.ErrorId == "StoreUnavailable") { throw renaming ? BackupErrors.UploadUnanswered(e, name) : BackupErrors.UploadAbandoned(e); }
        finally
        {
            if (created) DeleteQuietly(temp);
        }
    }

    /// <summary>
    /// SSH.NET's upload keeps several writes in flight (a round trip per write would halve the rate); it reports
    /// progress on its own thread, for every write the server acknowledged (32 KiB). The caller's thread, which a shell
    /// needs for progress, looks at the latest count every <see cref="ReportInterval"/>, and at once when the upload
    /// ends or grows large enough to open the hash connection: handed every report, it was woken 12,500 times for a
    /// 400 MB backup and spun each time, CPU taken from the encryption on a 2-core machine.
    /// </summary>
    void Upload(SftpClient client, SourceStream content, string temp, IProgress<long>? progress, CancellationToken ct)
    {
        bool shellStarted = false, large = false;
        long latest = 0, reported = 0;
        var wake = new SemaphoreSlim(0); // not disposed: the upload's continuation may release it after the loop ends
        var upload = Task.Run(() => client.UploadFileAsync(content, temp, canOverride: true, new Reporter(n =>
        {
            // Acknowledgements arrive in order on the session's one listener thread: `large` needs no lock.
            Volatile.Write(ref latest, (long)n.TotalBytesUploaded);
            if (!large && n.TotalBytesUploaded >= ShellEarlyBytes)
            {
                Volatile.Write(ref large, true);
                wake.Release();
            }
        }), ct), CancellationToken.None);
        _ = upload.ContinueWith(_ => wake.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        while (true)
        {
            wake.Wait(ReportInterval, CancellationToken.None);
            // Before the end is looked at, as the hash is asked for next even when the upload just ended.
            if (!shellStarted && Volatile.Read(ref large))
            {
                shellStarted = true;
                ConnectShellEarly();
            }
            if (upload.IsCompleted) break;
            long sent = Volatile.Read(ref latest);
            if (sent != reported) progress?.Report(reported = sent);
        }
        upload.GetAwaiter().GetResult();
        if (content.Bytes != reported) progress?.Report(content.Bytes);
    }

    static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>An upload this large is a backup whose stored hash will be asked for next: worth a connection ready for it.</summary>
    const long ShellEarlyBytes = 8 << 20;

    /// <summary>
    /// Opens the command connection for <see cref="ServiceSha256"/> beside a large upload rather than after it: its key
    /// exchange and login (about 0.35 s here) then cost no time of the copy. A failure is kept for ServiceSha256, which
    /// treats it as it would its own.
    /// </summary>
    void ConnectShellEarly()
    {
        lock (_connecting)
        {
            if (_noShellHash || _shellConnecting != null || Volatile.Read(ref _waitingHash) != null) return;
            if (_shell is { IsConnected: true } shell)
            {
                _ = Task.Run(() => KeepWaiting(WaitingHash.Start(shell)));
                return;
            }
            _shellConnecting = Task.Run(() =>
            {
                var connected = SftpConnector.ConnectShell(_location, _options);
                KeepWaiting(WaitingHash.Start(connected));
                return connected;
            });
            HashConnectionOpenedEarly = true;
        }
    }

    void KeepWaiting(WaitingHash? started)
    {
        if (started != null) Interlocked.Exchange(ref _waitingHash, started)?.Dispose();
    }

    sealed class Reporter(Action<UploadFileProgressReport> report) : IProgress<UploadFileProgressReport>
    {
        public void Report(UploadFileProgressReport value) => report(value);
    }

    /// <summary>The server's answer with no more precise code (SSH_FX_FAILURE): what sftp-server sends for ENOSPC and EDQUOT.</summary>
    static bool IsGenericFailure(SshException e) => e is not (SshConnectionException or SshOperationTimeoutException or SshAuthenticationException
        or SftpPermissionDeniedException or SftpPathNotFoundException or ProxyException);

    /// <summary>
    /// Free space and files on the file system holding the directory as the server sees them (statvfs@openssh.com), when
    /// too little is left for any write (under 1 MiB, or no file left to create); null when there is room or the server
    /// cannot tell.
    /// </summary>
    string? Full(SftpClient client)
    {
        try
        {
            var fs = client.GetStatus(DirectoryPath);
            long available = (long)Math.Min((ulong)long.MaxValue, fs.AvailableBlocks * fs.BlockSize);
            if (available < FullBelowBytes) return $"{available} bytes available to this account";
            if (fs.TotalNodes > 0 && fs.AvailableNodes == 0) return "no file can be created: no inode left";
            return null;
        }
        catch (Exception e) when (e is SshException or SocketException or IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Less than this left after a refused write is a full disk: no backup of ours is that small but a manifest, which takes a block.</summary>
    const long FullBelowBytes = 1 << 20;

    static bool Exists(SftpClient client, string path)
    {
        try { return client.Exists(path); }
        catch (SshException) { return false; }
    }

    void DeleteQuietly(string path)
    {
        // Best effort: when the connection is what failed, the next run's AbortStaleUploads removes it.
        try { if (_client is { IsConnected: true } c) c.DeleteFile(path); }
        catch (Exception e) when (e is SshException or SocketException or IOException or ObjectDisposedException) { }
    }

    public void Delete(string name, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        Run(() =>
        {
            try { Client.DeleteFile(_location.PathOf(name)); }
            catch (SftpPathNotFoundException) { }
            return 0;
        }, ct);
    }

    /// <summary>This machine's clock, which the server's need not agree with (tests move it).</summary>
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Removes our temporaries in this directory last written more than <paramref name="olderThan"/> ago: what a
    /// killed or disconnected upload left. A running upload keeps writing, so it stays young. Its times are the
    /// server's, and nothing makes an SFTP server's clock agree with ours (S3 and Azure refuse a request signed more
    /// than 15 minutes off): a temporary is stale only when it is that old by both clocks, so a server whose clock is
    /// behind never has another run's live upload deleted.
    /// </summary>
    public int AbortStaleUploads(TimeSpan olderThan, CancellationToken ct = default) => Run(() =>
    {
        List<ISftpFile> candidates;
        var ours = Clock.GetUtcNow().UtcDateTime - olderThan;
        try
        {
            candidates = Client.ListDirectory(DirectoryPath).Where(f => f.IsRegularFile && f.Name.StartsWith(TempPrefix, StringComparison.Ordinal)
                && f.Name.EndsWith(AtomicFile.TempSuffix, StringComparison.Ordinal) && f.LastWriteTimeUtc <= ours).ToList();
        }
        catch (SftpPathNotFoundException) { return 0; }
        if (candidates.Count == 0) return 0;
        // Where no probe can be made (a full disk, a read-only account), our clock alone decides, a day later than it would.
        var theirs = (ServerNow() ?? Clock.GetUtcNow().UtcDateTime - TimeSpan.FromHours(24)) - olderThan;
        int removed = 0;
        foreach (var f in candidates)
        {
            if (f.LastWriteTimeUtc > theirs) continue;
            try { Client.DeleteFile(_location.PathOf(f.Name)); removed++; }
            catch (SftpPathNotFoundException) { }
        }
        return removed;
    }, ct);

    /// <summary>A name no other upload has, which <see cref="AbortStaleUploads"/> knows for ours.</summary>
    string NewTempPath() => _location.PathOf($"{TempPrefix}{Guid.NewGuid():N}{AtomicFile.TempSuffix}");

    /// <summary>
    /// The server's time now: the modification time of an empty temporary of ours created for the purpose (and removed at
    /// once); null where none can be created, and then the caller waits a day longer rather than trust our own clock.
    /// </summary>
    DateTime? ServerNow()
    {
        string probe = NewTempPath();
        var client = Client;
        try
        {
            client.Open(probe, FileMode.CreateNew, FileAccess.Write).Dispose();
            return client.GetAttributes(probe).LastWriteTimeUtc;
        }
        catch (SshException) { return null; }
        finally { DeleteQuietly(probe); }
    }

    /// <summary>
    /// Checks the directory once; creates what is missing of it (0700) when asked to: a writer's store, like a local
    /// one opened to write, has its directory from the first operation on.
    /// </summary>
    void EnsureDirectory(bool create)
    {
        if (_directorySeen) return;
        var client = Client;
        try
        {
            if (!client.GetAttributes(DirectoryPath).IsDirectory)
                throw BackupErrors.SftpLocationInvalid(Location, $"{DirectoryPath} on the server is not a directory");
        }
        catch (SftpPathNotFoundException e)
        {
            if (!create) throw Missing(e);
            string path = _location.Directory.StartsWith('/') ? "" : ".";
            foreach (var part in _location.Directory.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                path = path == "." ? part : path + "/" + part;
                if (client.Exists(path)) continue;
                try
                {
                    client.CreateDirectory(path);
                    client.ChangePermissions(path, 700);
                }
                catch (SshException) when (client.Exists(path)) { } // another writer created it first
            }
        }
        _directorySeen = true;
    }

    /// <summary>
    /// The server's SHA-256 of the stored file: OpenSSL's `openssl dgst -sha256 -r` where the server has it (it uses the
    /// CPU's SHA instructions: 0.38 s for 409 MB here, coreutils' sha256sum 0.97 s), else `sha256sum`, the path
    /// single-quoted (nothing in it is expanded), trusted only as exactly one line "hash  path" or "hash *path" with
    /// exit status 0. Any refusal
    /// (an internal-sftp-only account, no sha256sum, no POSIX shell) or unexpected answer returns null, and the instance
    /// does not ask again: the caller reads the object back. A server that answers with a wrong hash is not second-guessed:
    /// the caller compares it with the manifest and reports the mismatch, as a read-back would.
    /// </summary>
    public string? ServiceSha256(string name, long size, CancellationToken ct = default)
    {
        StoreNames.Check(name, Location);
        if (_noShellHash) return null;
        try
        {
            string path = CommandPath(_location.PathOf(name));
            // sha256sum escapes such names ("\hash  name" with \\ and \n); not worth parsing for paths we never choose.
            if (path.Contains('\\') || path.Contains('\n') || path.Contains('\r')) return Refuse("the path holds a backslash or line break");
            var shell = Shell();
            // The server reads the whole file: a small request's wait plus a pass at a slow disk's 100 MB/s, within the total limit.
            var limit = _options.RequestLimit() + TimeSpan.FromSeconds(size / 100e6);
            if (limit > _options.Timeout) limit = _options.Timeout;
            var (output, exitStatus, error) = ByWaitingCommand(shell, path, limit, ct) ?? ByNewCommand(shell, path, limit, ct);
            if (exitStatus != 0) return Refuse($"the hash command exited with {exitStatus?.ToString() ?? "no status"}: {FirstLine(error)}");
            // sha256sum writes "hash  path", openssl -r "hash *path".
            string expected = path + "\n";
            if (output.Length != 66 + expected.Length || !output.EndsWith(expected, StringComparison.Ordinal) || output[64..66] is not ("  " or " *"))
                return Refuse($"unexpected output: {FirstLine(output)}");
            string hash = output[..64];
            if (!hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')) return Refuse($"unexpected output: {FirstLine(output)}");
            return hash;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e) when (e is SshException or SocketException or IOException or ObjectDisposedException or InvalidOperationException or SqliteBackupException or TimeoutException)
        {
            return Refuse($"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// A path as a command on the server must name it: a /~/ path is relative to SFTP's start directory, which a command
    /// does not share where the server starts SFTP elsewhere (internal-sftp -d), so the command would act on a namesake
    /// of the stored file. Made absolute as the SFTP session resolves it.
    /// </summary>
    string CommandPath(string path) => path.StartsWith('/') ? path : Client.WorkingDirectory.TrimEnd('/') + (path == "." ? "" : "/" + path);

    /// <summary>The connection for commands: the one opened beside a large upload, else a new one.</summary>
    SshClient Shell()
    {
        lock (_connecting)
        {
            if (_shell is not { IsConnected: true })
            {
                _shell?.Dispose();
                _shell = null;
                var early = _shellConnecting;
                _shellConnecting = null;
                _shell = early != null ? early.GetAwaiter().GetResult() : SftpConnector.ConnectShell(_location, _options);
            }
            return _shell;
        }
    }

    bool _flushProven;

    /// <summary>
    /// With ?fsync=true, before the first object is written: whether the server will flush (`sync -- dir` runs). Refused
    /// with StoreFsyncUnavailable before anything is written, so that a location that asks for durability never gets
    /// objects without it unheard.
    /// </summary>
    void ProveFlush(CancellationToken ct)
    {
        if (!_location.Fsync || _flushProven) return;
        if (Sync($"sync -- {ShellQuote(CommandPath(DirectoryPath))}", 0, ct) is { } why) throw BackupErrors.StoreFsyncUnavailable(Location, why, written: false);
        _flushProven = true;
    }

    /// <summary>
    /// With ?fsync=true, flushes a renamed object and its directory entry to the server's disk (`sync -- file dir`,
    /// fsync(2) of each) before anything written after it (its manifest) can be: SFTP's own fsync@openssh.com is out of
    /// SSH.NET's reach, so this needs an account that may run commands, as the server's hash does. Not by default:
    /// writing back a 409 MB backup at once added 1.8-2.9 s to a 2.3-3.1 s upload here, which rclone and OpenSSH's
    /// sftp do not wait for. A failure here is the Put's: the object is in place but its caller writes no manifest.
    /// </summary>
    void FlushOnServer(string file, long size, CancellationToken ct)
    {
        if (!_location.Fsync) return;
        if (Sync($"sync -- {ShellQuote(CommandPath(file))} {ShellQuote(CommandPath(DirectoryPath))}", size, ct) is { } why) throw BackupErrors.StoreFsyncUnavailable(Location, why, written: true);
    }

    /// <summary>Runs a sync(1) command on the server: null when it flushed, else why not.</summary>
    string? Sync(string command, long size, CancellationToken ct)
    {
        try
        {
            using var sync = Shell().CreateCommand("LC_ALL=C; export LC_ALL; " + command);
            // Writing back what is still dirty of the file: a slow disk's 100 MB/s, within the total limit.
            var limit = _options.RequestLimit() + TimeSpan.FromSeconds(size / 100e6);
            sync.CommandTimeout = limit < _options.Timeout ? limit : _options.Timeout;
            using (ct.Register(() => { try { sync.CancelAsync(); } catch (Exception) { } }))
                sync.Execute();
            ct.ThrowIfCancellationRequested();
            return sync.ExitStatus == 0 ? null : $"sync exited with {sync.ExitStatus?.ToString() ?? "no status"}: {FirstLine(sync.Error)}";
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e) when (e is SshException or SocketException or IOException or ObjectDisposedException or InvalidOperationException or SqliteBackupException or TimeoutException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    (string Output, int? ExitStatus, string Error)? ByWaitingCommand(SshClient shell, string path, TimeSpan limit, CancellationToken ct)
    {
        using var waiting = Interlocked.Exchange(ref _waitingHash, null);
        if (waiting == null || waiting.Client != shell) return null;
        var answer = waiting.Hash(path, limit, ct);
        ct.ThrowIfCancellationRequested();
        if (answer != null) HashesByWaitingCommand++;
        return answer;
    }

    static (string Output, int? ExitStatus, string Error) ByNewCommand(SshClient shell, string path, TimeSpan limit, CancellationToken ct)
    {
        using var command = shell.CreateCommand(HashCommand(path));
        command.CommandTimeout = limit;
        using (ct.Register(() => { try { command.CancelAsync(); } catch (Exception) { } }))
            command.Execute();
        ct.ThrowIfCancellationRequested();
        return (command.Result, command.ExitStatus, command.Error);
    }

    /// <summary>
    /// OpenSSL first, sha256sum where there is no openssl or it fails (an old one without -r or --); its error output is
    /// dropped so that only the answer that is used is parsed.
    /// </summary>
    internal static string HashCommand(string path) => $"f={ShellQuote(path)}; {HashOfF}";

    /// <summary>The hash of the file named by $f, for this command and the one that waits for its path (<see cref="WaitingHash"/>).</summary>
    internal const string HashOfF = "LC_ALL=C; export LC_ALL; "
        + "if command -v openssl >/dev/null 2>&1 && openssl dgst -sha256 -r -- \"$f\" 2>/dev/null; then :; else sha256sum -- \"$f\"; fi";

    string? Refuse(string why)
    {
        _noShellHash = true;
        ServiceHashUnavailable = why;
        return null;
    }

    static string FirstLine(string? s)
    {
        s = (s ?? "").Trim();
        int nl = s.IndexOf('\n');
        s = nl < 0 ? s : s[..nl];
        return s.Length > 200 ? s[..200] : s;
    }

    /// <summary>POSIX shell single quotes: nothing inside is special except the quote itself, written '\''.</summary>
    internal static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    SqliteBackupException Missing(Exception e) => BackupErrors.SftpLocationNotFound(Location, $"the directory {DirectoryPath} does not exist on {_location.Host}", e);

    /// <summary>
    /// One operation, tried again on a new connection after the connection failed (<see cref="SftpRetries"/>) while
    /// <paramref name="retryable"/> says that is still safe (an upload whose source was read cannot be sent again).
    /// </summary>
    T Run<T>(Func<T> op, CancellationToken ct, Func<bool>? retryable = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Not ambient: an upload runs inside, and a source store's own retries must not count against this limit.
        using var budget = OperationBudget.Own(_options.Timeout, _options.RequestLimit());
        for (int attempt = 1; ; attempt++)
        {
            try { return op(); }
            catch (Exception e) when (!ct.IsCancellationRequested && attempt <= SftpRetries.MaxRetries && SftpRetries.IsTransient(e)
                                      && (retryable == null || retryable()) && budget.Allows())
            {
                Reconnect(_given.Value);
                if (ct.WaitHandle.WaitOne(SftpRetries.Backoff(attempt, budget))) ct.ThrowIfCancellationRequested();
            }
            catch (Exception e) when (SftpFailures.Map(e, Location, ct, Attempts(attempt) + _options.Waited(watch, budget)) is { } mapped) { throw mapped; }
        }
    }

    static string Attempts(int n) => n == 1 ? "" : $"{n} attempts, each on a new connection; ";

    void Run(Action op, CancellationToken ct, Func<bool>? retryable = null) => Run(() => { op(); return 0; }, ct, retryable);

    /// <summary>
    /// After <paramref name="failed"/> failed (a half-dead connection may still say it is connected): the next request
    /// makes a new one. Other threads share the connection (a repository's packs are read in parallel): one that
    /// another thread already replaced is left alone, so that failures on one dead connection do not each drop the next.
    /// </summary>
    void Reconnect(SftpClient? failed)
    {
        lock (_connecting)
        {
            if (_client == null || !ReferenceEquals(_client, failed)) return;
            try { _client.Dispose(); } catch (Exception) { }
            _client = null;
        }
    }

    public void Dispose()
    {
        lock (_connecting)
        {
            _client?.Dispose();
            _client = null;
            _given.Dispose();
            Interlocked.Exchange(ref _waitingHash, null)?.Dispose();
            _shell?.Dispose();
            _shell = null;
            // Never waited for here: a connection still being made is closed once it is made.
            _shellConnecting?.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            _shellConnecting = null;
        }
    }

    public override string ToString() => Location;


    /// <summary>The backup's bytes as the upload reads them; once one is read, the upload cannot be tried again.</summary>
    sealed class SourceStream(Stream inner) : ReadThroughStream
    {
        /// <summary>Whether the upload asked for any of the source: from then on a failed attempt cannot be repeated.</summary>
        public bool Started { get; private set; }

        /// <summary>How many bytes were read (sent).</summary>
        public long Bytes { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            Started = true;
            try { return Count(inner.Read(buffer)); }
            catch (Exception e) when (e is not OperationCanceledException) { throw new SourceFailedException(e); }
        }

        /// <summary>
        /// Read synchronously on the upload's own thread: most sources (a hashing or compressing stream) have no
        /// ReadAsync of their own, and Stream's default sends each read to the thread pool, a hand-over per 32 KiB
        /// write whose spinning workers took a core from the encryption on a 2-core machine.
        /// </summary>
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            ct.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        int Count(int n)
        {
            Bytes += n;
            return n;
        }
    }

    /// <summary>An object's bytes; a connection lost while reading is the store's failure, said so.</summary>
    sealed class ReadStream(Stream inner, string location, Action<int> counted) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                int n = inner.Read(buffer);
                counted(n);
                return n;
            }
            catch (Exception e) when (SftpFailures.Map(e, location, default) is { } mapped) { throw mapped; }
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
