using System.Security.Cryptography;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;
using ZstdSharp;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Reads a snapshot back: its block list (checked against blocksSha256), the .index of each pack it names, then each
/// pack once, as a stream, decompressing the blocks it holds for this snapshot into their positions (a block can sit at
/// several); every block is checked against its hash and the whole image against RawSha256. Any mismatch or missing
/// object is a <see cref="SqliteBackupException"/> naming the snapshot and the pack.
/// </summary>
public static class SnapshotReader
{
    /// <summary>The snapshot's blocks resolved to pack entries: what <see cref="Reassemble"/> reads, and what a new backup dedups against.</summary>
    public sealed record Resolved(BlockRef[] Blocks, IReadOnlyList<IReadOnlyList<PackEntry>> Indexes);

    static SnapshotRepository RepositoryOf(BackupManifest manifest) =>
        manifest.Repository ?? throw new ArgumentException($"{manifest.File} is not a snapshot.", nameof(manifest));

    /// <summary>The block list and every pack's index, checked against each other.</summary>
    public static Resolved Resolve(IBackupStore store, BackupManifest manifest, CancellationToken ct = default)
    {
        var r = RepositoryOf(manifest);
        var blocks = BlockList.TryDecode(r.Blocks, r.BlocksSha256, r.BlockCount, r.Packs.Count, out var problem)
            ?? throw BackupErrors.RepositoryDamaged(store.Location, manifest.File + BackupManifest.Suffix, manifest.File, problem!);
        var indexes = r.Packs.Select(p => PackIndex.Read(store, p.Name, manifest.File, ct)).ToList();
        for (int i = 0; i < r.Packs.Count; i++)
        {
            long size = PackIndex.PackSize(indexes[i]);
            if (!PackIndex.SizeFits(indexes[i], r.Packs[i].Size, manifest.IsEncrypted))
                throw BackupErrors.RepositoryDamaged(store.Location, RepositoryNames.IndexOf(r.Packs[i].Name), manifest.File, $"it describes {size} bytes of pack, the snapshot records {r.Packs[i].Size}");
        }
        for (int i = 0; i < blocks.Length; i++)
        {
            var b = blocks[i];
            if (b.Entry >= indexes[b.Pack].Count)
                throw BackupErrors.RepositoryDamaged(store.Location, RepositoryNames.IndexOf(r.Packs[b.Pack].Name), manifest.File, $"block {i} is entry {b.Entry}, the index has {indexes[b.Pack].Count}");
            long expected = Math.Min(r.BlockSize, manifest.RawSize - (long)i * r.BlockSize);
            if (indexes[b.Pack][b.Entry].RawLength != expected)
                throw BackupErrors.RepositoryDamaged(store.Location, RepositoryNames.IndexOf(r.Packs[b.Pack].Name), manifest.File, $"block {i} is {indexes[b.Pack][b.Entry].RawLength} bytes, expected {expected}");
        }
        if ((long)blocks.Length * r.BlockSize < manifest.RawSize || (blocks.Length > 0 && (long)(blocks.Length - 1) * r.BlockSize >= manifest.RawSize))
            throw BackupErrors.RepositoryDamaged(store.Location, manifest.File + BackupManifest.Suffix, manifest.File, $"{blocks.Length} blocks of {r.BlockSize} bytes cannot make {manifest.RawSize} bytes");
        return new Resolved(blocks, indexes);
    }

    /// <summary>
    /// Writes the snapshot's database image to <paramref name="output"/> (seekable; it is set to the image's length),
    /// proving every block and the whole; <paramref name="read"/> gets the stored bytes read so far.
    /// </summary>
    /// <param name="key">The repository key of an encrypted snapshot (see <see cref="Unlock"/>).</param>
    public static void Reassemble(IBackupStore store, BackupManifest manifest, Stream output, Action<long>? read = null, CancellationToken ct = default, RepositoryKey? key = null)
    {
        if (manifest.IsEncrypted && key == null) throw new ArgumentException($"{manifest.File} is encrypted: unlock its repository first.", nameof(key));
        if (!output.CanSeek || !output.CanWrite || !output.CanRead) throw new ArgumentException("The output must be readable, writable and seekable (a file).", nameof(output));
        var r = RepositoryOf(manifest);
        var resolved = Resolve(store, manifest, ct);
        output.SetLength(manifest.RawSize);
        // Per pack: the entries it holds for this snapshot, in offset order, each with the positions it fills.
        var wanted = new SortedDictionary<int, List<long>>[r.Packs.Count];
        for (int i = 0; i < resolved.Blocks.Length; i++)
        {
            var b = resolved.Blocks[i];
            var perPack = wanted[b.Pack] ??= new SortedDictionary<int, List<long>>();
            if (!perPack.TryGetValue(b.Entry, out var positions)) perPack[b.Entry] = positions = [];
            positions.Add((long)i * r.BlockSize);
        }
        // The packs are independent: each is read once, as a stream, by one of a few workers, and its blocks are written
        // at their positions (positional writes to a file, no shared file offset). Progress is reported from this thread
        // only, since a caller's callback may belong to a PowerShell pipeline.
        var file = (output as FileStream)?.SafeFileHandle;
        var gate = new object();
        void WriteAt(long position, ReadOnlySpan<byte> block)
        {
            if (file != null) RandomAccess.Write(file, block, position);
            else lock (gate)
            {
                output.Position = position;
                output.Write(block);
            }
        }
        var queue = new System.Collections.Concurrent.ConcurrentQueue<int>(Enumerable.Range(0, r.Packs.Count).Where(p => wanted[p] != null));
        long total = 0;
        // One worker's failure stops the others: the first damaged pack is the answer.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = stop.Token;
        void Worker()
        {
            try { ReadPacks(); }
            catch
            {
                stop.Cancel();
                throw;
            }
        }
        void ReadPacks()
        {
            using var decompressor = new Decompressor();
            var raw = new byte[r.BlockSize];
            byte[] frame = [];
            while (queue.TryDequeue(out int p))
            {
                string pack = r.Packs[p].Name;
                var index = resolved.Indexes[p];
                Stream input;
                try { input = store.OpenRead(pack, token); }
                catch (SqliteBackupException e) when (e.ErrorId == "StoreObjectNotFound") { throw BackupErrors.RepositoryPackMissing(store.Location, pack, manifest.File); }
                // Encrypted: the pack's plaintext, each 64 KiB chunk authenticated before any byte of it is used.
                try
                {
                    if (key != null) input = key.OpenPack(input, pack);
                    using (input)
                    {
                        long at = 0;
                        foreach (var (entryIndex, positions) in wanted[p])
                        {
                            token.ThrowIfCancellationRequested();
                            var e = index[entryIndex];
                            if (frame.Length < e.StoredLength) frame = new byte[Math.Max(e.StoredLength, frame.Length * 2)];
                            // Frames we do not need are read past: one sequential read of the pack, never a request per block.
                            Skip(input, e.Offset - at, store.Location, pack, manifest.File);
                            ReadExactly(input, frame.AsSpan(0, e.StoredLength), store.Location, pack, manifest.File);
                            at = e.Offset + e.StoredLength;
                            Interlocked.Add(ref total, e.StoredLength);
                            int n;
                            try { n = decompressor.Unwrap(frame.AsSpan(0, e.StoredLength), raw); }
                            catch (ZstdException x) { throw BackupErrors.RepositoryDamaged(store.Location, pack, manifest.File, $"entry {entryIndex} does not decompress ({x.Message})"); }
                            if (n != e.RawLength || (key?.BlockId(raw.AsSpan(0, n)) ?? BlockHash.Of(raw.AsSpan(0, n))) != e.Hash)
                                throw BackupErrors.RepositoryDamaged(store.Location, pack, manifest.File, $"entry {entryIndex} does not match its block id");
                            foreach (long position in positions) WriteAt(position, raw.AsSpan(0, n));
                        }
                    }
                }
                catch (SqliteBackupException e) when (e.ErrorId == "EncryptedDataDamaged")
                {
                    throw BackupErrors.RepositoryDamaged(store.Location, pack, manifest.File, "it does not authenticate: " + e.Message);
                }
            }
        }
        int workers = Math.Max(1, Math.Min(Math.Min(Environment.ProcessorCount, MaxReaders), queue.Count));
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Factory.StartNew(Worker, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        try
        {
            while (!Task.WaitAll(tasks, 250)) read?.Invoke(Interlocked.Read(ref total));
        }
        catch (AggregateException e)
        {
            // What a worker found, as it found it: the damaged or missing pack first, cancellation as cancellation.
            var first = e.Flatten().InnerExceptions.OrderBy(x => x is SqliteBackupException ? 0 : x is OperationCanceledException ? 2 : 1).First();
            ct.ThrowIfCancellationRequested();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        read?.Invoke(total);
        string sha;
        if (file != null) sha = HashFile(file, manifest.RawSize);
        else
        {
            output.Flush();
            output.Position = 0;
            sha = Convert.ToHexString(SHA256.HashData(output)).ToLowerInvariant();
        }
        if (sha != manifest.RawSha256)
            throw BackupErrors.RepositoryDamaged(store.Location, manifest.File + BackupManifest.Suffix, manifest.File, $"the reassembled image's SHA-256 is {sha}, the manifest says {manifest.RawSha256}");
        output.Position = 0;
    }

    /// <summary>Packs read at once: the two cores of a small server busy, a remote store not flooded.</summary>
    const int MaxReaders = 4;

    static string HashFile(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long at = 0; at < length;)
        {
            int n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - at)), at);
            if (n == 0) break;
            hash.AppendData(buffer, 0, n);
            at += n;
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Reassembles into a new private file at <paramref name="path"/> (owner-only), removed again on failure.</summary>
    public static void Reassemble(IBackupStore store, BackupManifest manifest, string path, Action<long>? read = null, CancellationToken ct = default, RepositoryKey? key = null)
    {
        try
        {
            using var output = PrivateFiles.CreateNew(path, 1 << 20);
            Reassemble(store, manifest, output, read, ct, key);
            output.Flush(flushToDisk: true);
        }
        catch
        {
            AtomicFile.TryDelete(path);
            throw;
        }
    }

    /// <summary>
    /// Before any byte of a snapshot is used: an encrypted one's manifest is authenticated (its MAC, as an encrypted plain
    /// backup's) and its repository key opened with <paramref name="keys"/>; an unencrypted one must not come from an
    /// encrypted repository (a manifest stripped of its encryption and MACs would otherwise pass as unsigned).
    /// </summary>
    /// <returns>The repository key, or null for an unencrypted snapshot.</returns>
    /// <exception cref="SqliteBackupException">EncryptionIdentityMissing, EncryptionWrongIdentity, BackupNotAuthentic, RepositoryDamaged.</exception>
    public static RepositoryKey? Unlock(IBackupStore store, BackupManifest manifest, Encryption.BackupKeys? keys, string name, CancellationToken ct = default)
    {
        RepositoryConfig? config;
        try { config = RepositoryConfig.Read(store, ct); }
        // An unencrypted snapshot's own bytes are proven by reassembly either way; an encrypted one needs the config.
        catch (SqliteBackupException e) when (e.ErrorId == "RepositoryConfigInvalid")
        {
            if (!manifest.IsEncrypted) return null;
            throw BackupErrors.RepositoryDamaged(store.Location, RepositoryNames.Config, manifest.File, e.Message);
        }
        if (!manifest.IsEncrypted)
        {
            if (config?.Encryption != null) throw BackupErrors.BackupNotAuthentic(name, "its repository is encrypted but its manifest records no encryption and carries no MAC");
            return null;
        }
        // A wrong passphrase and a forged MAC look alike; whether the key object opens tells them apart.
        Encryption.BackupKeys.Authenticate(manifest, keys, name, () => store.OpenRead(RepositoryKey.ObjectName, ct));
        if (config?.Encryption == null)
            throw BackupErrors.RepositoryDamaged(store.Location, RepositoryNames.Config, manifest.File, config == null ? "it is missing" : "it records no encryption, the snapshot is encrypted");
        var key = RepositoryKey.Open(store, keys, ct);
        RepositoryConfig.CheckKey(config, store.Location, key);
        return key;
    }

    /// <summary>
    /// Quick: every pack named is listed (one List) with its recorded size, and its .index is there. Returns the
    /// problems found (empty: all present), each naming the object.
    /// </summary>
    public static IReadOnlyList<string> QuickCheck(IBackupStore store, BackupManifest manifest, IReadOnlyList<StoredObject>? listing = null, CancellationToken ct = default)
    {
        var r = RepositoryOf(manifest);
        var objects = (listing ?? store.List(ct)).ToDictionary(o => o.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var p in r.Packs)
        {
            if (!objects.TryGetValue(p.Name, out var o)) problems.Add($"{p.Name} is missing");
            else if (o.Size != p.Size) problems.Add($"{p.Name} is {o.Size} bytes, the snapshot records {p.Size}");
            if (!objects.ContainsKey(RepositoryNames.IndexOf(p.Name))) problems.Add($"{RepositoryNames.IndexOf(p.Name)} is missing");
        }
        return problems;
    }

    static void Skip(Stream s, long count, string location, string pack, string snapshot)
    {
        if (count < 0) throw BackupErrors.RepositoryDamaged(location, RepositoryNames.IndexOf(pack), snapshot, "its entries overlap");
        var buffer = new byte[(int)Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0) throw BackupErrors.RepositoryDamaged(location, pack, snapshot, "it is shorter than its index says");
            count -= n;
        }
    }

    static void ReadExactly(Stream s, Span<byte> span, string location, string pack, string snapshot)
    {
        try { s.ReadExactly(span); }
        catch (EndOfStreamException) { throw BackupErrors.RepositoryDamaged(location, pack, snapshot, "it is shorter than its index says"); }
    }
}
