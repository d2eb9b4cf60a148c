using System.Security.Cryptography;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Repository;

/// <summary>
/// Reads a snapshot back: its block list (checked against blocksSha256), the .index of each pack it names, then each
/// pack once, as a stream, decompressing the blocks it holds for this snapshot into their positions (a block can sit at
/// several; see <see cref="ImageAssembler"/>); the whole image is proven against RawSha256, and when it differs each
/// block against its own hash, to name the damaged pack. Any mismatch or missing object is a
/// <see cref="SqliteBackupException"/> naming the snapshot and the pack.
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
    /// proving the whole (and, when it is wrong, every block); <paramref name="read"/> gets the stored bytes read so far.
    /// </summary>
    /// <param name="key">The repository key of an encrypted snapshot (see <see cref="Unlock"/>).</param>
    public static void Reassemble(IBackupStore store, BackupManifest manifest, Stream output, Action<long>? read = null, CancellationToken ct = default, RepositoryKey? key = null)
    {
        if (manifest.IsEncrypted && key == null) throw new ArgumentException($"{manifest.File} is encrypted: unlock its repository first.", nameof(key));
        if (!output.CanSeek || !output.CanWrite || !output.CanRead) throw new ArgumentException("The output must be readable, writable and seekable (a file).", nameof(output));
        RepositoryOf(manifest);
        var resolved = Resolve(store, manifest, ct);
        output.SetLength(manifest.RawSize);
        var assembler = new ImageAssembler(store, manifest, resolved, key);
        string sha;
        if (output is FileStream { SafeFileHandle: var file })
        {
            output.Flush();
            sha = assembler.Write(file, read, ct);
        }
        else
        {
            // Not a file (a caller's own stream): blocks written under a lock, the image hashed afterwards.
            var gate = new object();
            assembler.Write((position, block) =>
            {
                lock (gate)
                {
                    output.Position = position;
                    output.Write(block);
                }
            }, read, ct);
            output.Flush();
            output.Position = 0;
            sha = Convert.ToHexString(SHA256.HashData(output)).ToLowerInvariant();
        }
        if (sha != manifest.RawSha256)
        {
            // Which block is wrong: each read again against its own SHA-256, so the damaged pack is named (this throws).
            assembler.Prove(ct);
            throw BackupErrors.RepositoryDamaged(store.Location, manifest.File + BackupManifest.Suffix, manifest.File, $"the reassembled image's SHA-256 is {sha}, the manifest says {manifest.RawSha256}");
        }
        output.Position = 0;
    }

    /// <summary>Reassembles into a new private file at <paramref name="path"/> (owner-only), removed again on failure.</summary>
    public static void Reassemble(IBackupStore store, BackupManifest manifest, string path, Action<long>? read = null, CancellationToken ct = default, RepositoryKey? key = null)
    {
        try
        {
            using var output = PrivateFiles.CreateNew(path, 1 << 20);
            Reassemble(store, manifest, output, read, ct, key);
            // A scratch copy needs no durability (as a plain backup's decompressed copy): a restore flushes its copy where
            // it places it beside the target; a check or an export reads it back at once.
            output.Flush();
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
}
