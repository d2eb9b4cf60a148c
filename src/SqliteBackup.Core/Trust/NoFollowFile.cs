using SqliteBackup.Core.Errors;
namespace SqliteBackup.Core.Trust;

/// <summary>
/// Opens the files we create or append to in place (locks, logs) and the manifests we read, without ever following a
/// symlink someone planted at that name. .NET's FileStream has no O_NOFOLLOW, and checking with lstat before opening
/// leaves a window in which the name can be swapped. So: create with O_CREAT|O_EXCL (FileMode.CreateNew), which fails on
/// any existing entry including a dangling symlink; if the file exists, open it with open(2) and O_NOFOLLOW, which fails
/// with ELOOP on a symlink; then fstat the descriptor we hold (not the name) to refuse a FIFO, device or directory, and
/// a hard link to a file elsewhere. Whatever an attacker swaps in between these steps, what we write to is the inode we
/// checked. Files we publish (backups, manifests, configuration) never need this: they are written under a fresh
/// temporary name with CreateNew and renamed, and rename(2) replaces a symlink at the destination instead of following it.
/// </summary>
internal static class NoFollowFile
{
    const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Opens for reading and writing, creating the file owner-only if it is missing. No lock is taken here.</summary>
    public static FileStream OpenOrCreate(string path, bool append = false)
    {
        if (!Posix.Supported)
        {
            if (new FileInfo(path).LinkTarget != null) throw BackupErrors.UnsafeFileLink(path, "a symbolic link");
            var options = new FileStreamOptions { Mode = append ? FileMode.Append : FileMode.OpenOrCreate, Access = append ? FileAccess.Write : FileAccess.ReadWrite, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = Private;
            return new FileStream(path, options);
        }
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                // Share ReadWrite: .NET then takes no lock of its own, so callers can flock the descriptor themselves.
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite | FileShare.Delete,
                    BufferSize = 0, UnixCreateMode = Private,
                });
            }
            catch (IOException)
            {
                // Most often EEXIST; any other cause shows up again, with its real errno, in the open below.
            }
            var handle = Posix.OpenExisting(path, write: true, append, out int errno);
            if (handle == null)
            {
                if (errno == Posix.ENOENT && attempt < 10) continue; // removed between the two calls: create it again
                if (errno == Posix.ELOOP) throw BackupErrors.UnsafeFileLink(path, "a symbolic link");
                throw new IOException($"Cannot open '{path}' (errno {errno}).", errno);
            }
            var st = Posix.Fstat(handle);
            string? problem = !st.IsRegular ? "not a regular file" : st.Links > 1 ? $"a hard link ({st.Links} names for one file)" : null;
            if (problem != null)
            {
                handle.Dispose();
                throw BackupErrors.UnsafeFileLink(path, problem);
            }
            // Files from older versions were 0644; ours to fix only when they are ours.
            if (st.Uid == Posix.EffectiveUid && (st.Permissions & 0x3F) != 0) File.SetUnixFileMode(handle, Private);
            var fs = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
            if (append) fs.Seek(0, SeekOrigin.End);
            return fs;
        }
    }

    /// <summary>Opens an existing regular file for reading, never through a symlink.</summary>
    public static FileStream OpenRead(string path, int bufferSize = 1 << 16)
    {
        if (!Posix.Supported)
        {
            if (new FileInfo(path).LinkTarget != null) throw BackupErrors.UnsafeFileLink(path, "a symbolic link");
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);
        }
        var handle = Posix.OpenExisting(path, write: false, append: false, out int errno);
        if (handle == null)
        {
            if (errno == Posix.ELOOP) throw BackupErrors.UnsafeFileLink(path, "a symbolic link");
            if (errno == Posix.ENOENT) throw new FileNotFoundException($"'{path}' does not exist.", path);
            throw new IOException($"Cannot open '{path}' (errno {errno}).", errno);
        }
        if (!Posix.Fstat(handle).IsRegular)
        {
            handle.Dispose();
            throw BackupErrors.UnsafeFileLink(path, "not a regular file");
        }
        return new FileStream(handle, FileAccess.Read, bufferSize);
    }

    /// <summary>Reads a small file that must be a regular file and not a symlink; returns its status for ownership checks.</summary>
    public static byte[] ReadAllBytes(string path, out FileStatus? status, int maxBytes = 16 << 20)
    {
        status = null;
        if (!Posix.Supported)
        {
            if (new FileInfo(path).LinkTarget != null) throw BackupErrors.UnsafeFileLink(path, "a symbolic link");
            return File.ReadAllBytes(path);
        }
        var handle = Posix.OpenExisting(path, write: false, append: false, out int errno);
        if (handle == null)
        {
            if (errno == Posix.ELOOP) throw BackupErrors.UnsafeFileLink(path, "a symbolic link");
            if (errno == Posix.ENOENT) throw new FileNotFoundException($"'{path}' does not exist.", path);
            throw new IOException($"Cannot open '{path}' (errno {errno}).", errno);
        }
        using (handle)
        {
            var st = Posix.Fstat(handle);
            if (!st.IsRegular) throw BackupErrors.UnsafeFileLink(path, "not a regular file");
            status = st;
            long length = RandomAccess.GetLength(handle);
            if (length > maxBytes) throw new IOException($"'{path}' is {length} bytes, too large to be ours.");
            var bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (n == 0) break;
                read += n;
            }
            return read == bytes.Length ? bytes : bytes[..read];
        }
    }
}
