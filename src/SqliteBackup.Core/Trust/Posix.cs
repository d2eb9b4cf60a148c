using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SqliteBackup.Core.Trust;

/// <summary>What lstat/fstat say about a file: enough to decide whether we may trust, follow or write it, and whether it
/// changed (size, modification and status-change times in nanoseconds since 1970; a user can set the first two, not the third).</summary>
internal readonly record struct FileStatus(uint Mode, uint Uid, uint Gid, uint Links, ulong Device, ulong Inode, long Size = 0, long ModifiedNs = 0, long ChangedNs = 0)
{
    const uint TypeMask = 0xF000;
    public bool IsRegular => (Mode & TypeMask) == 0x8000;
    public bool IsDirectory => (Mode & TypeMask) == 0x4000;
    public bool IsSymlink => (Mode & TypeMask) == 0xA000;
    public uint Permissions => Mode & 0xFFF;
    public bool IsSticky => (Mode & 0x200) != 0;
    /// <summary>Writable by the group or by everyone (S_IWGRP | S_IWOTH).</summary>
    public bool WritableByOthers => (Mode & 0x12) != 0;
    public bool SameFile(FileStatus other) => Device == other.Device && Inode == other.Inode;
}

/// <summary>
/// The few POSIX calls .NET does not expose: lstat/fstat with owner and link count, open(2) with O_NOFOLLOW, flock,
/// fchown. Linux uses statx (one layout on every architecture); macOS uses its 64-bit-inode struct stat.
/// Nothing here is called on Windows.
/// </summary>
internal static class Posix
{
    const int AtFdCwd = -100;
    const int AtSymlinkNoFollow = 0x100;
    const int AtEmptyPath = 0x1000;
    const uint StatxBasicStats = 0x7ff;
    const int LockEx = 2, LockNb = 4;

    public const int ENOENT = 2;
    public static int ELOOP => OperatingSystem.IsMacOS() ? 62 : 40;
    public static int EWOULDBLOCK => OperatingSystem.IsMacOS() ? 35 : 11;

    /// <summary>
    /// Whether these calls work here: Linux with statx (glibc 2.28+, musl 1.2.5+) or macOS. Elsewhere (Windows, an older
    /// libc) the owner rules are skipped, directory modes come from .NET, and files are opened the way .NET opens them
    /// after a symlink check (which leaves a window; see <see cref="NoFollowFile"/>).
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatformGuard("windows")]
    public static bool Supported => Probe.Value;

    static readonly Lazy<bool> Probe = new(() =>
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        try { return StatPath("/", follow: false) is { IsDirectory: true }; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or IOException) { return false; }
    });

    public static uint EffectiveUid => geteuid();

    /// <summary>The entry itself, not what a symlink points to; null when it does not exist.</summary>
    public static FileStatus? Lstat(string path) => StatPath(path, follow: false);

    public static FileStatus? Stat(string path) => StatPath(path, follow: true);

    static unsafe FileStatus? StatPath(string path, bool follow)
    {
        byte* buf = stackalloc byte[256];
        int rc;
        if (OperatingSystem.IsLinux()) rc = statx(AtFdCwd, path, follow ? 0 : AtSymlinkNoFollow, StatxBasicStats, buf);
        else if (RuntimeInformation.ProcessArchitecture == Architecture.X64) rc = follow ? mac_stat_x64(path, buf) : mac_lstat_x64(path, buf);
        else rc = follow ? mac_stat(path, buf) : mac_lstat(path, buf);
        if (rc == 0) return Parse(buf);
        int errno = Marshal.GetLastPInvokeError();
        if (errno == ENOENT || errno == 20 /* ENOTDIR */) return null;
        throw new IOException($"Cannot read the status of '{path}' (errno {errno}).", errno);
    }

    public static unsafe FileStatus Fstat(SafeFileHandle handle)
    {
        byte* buf = stackalloc byte[256];
        int fd = (int)handle.DangerousGetHandle();
        int rc;
        if (OperatingSystem.IsLinux()) rc = statx(fd, "", AtEmptyPath, StatxBasicStats, buf);
        else if (RuntimeInformation.ProcessArchitecture == Architecture.X64) rc = mac_fstat_x64(fd, buf);
        else rc = mac_fstat(fd, buf);
        if (rc != 0) throw new IOException($"fstat failed (errno {Marshal.GetLastPInvokeError()}).");
        return Parse(buf);
    }

    static unsafe FileStatus Parse(byte* b)
    {
        if (OperatingSystem.IsLinux())
        {
            // struct statx: nlink@16 uid@20 gid@24 mode(u16)@28 ino@32 size@40 ctime@96 mtime@112 (statx_timestamp: i64 s,
            // u32 ns) dev_major@136 dev_minor@140
            ulong dev = ((ulong)*(uint*)(b + 136) << 32) | *(uint*)(b + 140);
            return new FileStatus(*(ushort*)(b + 28), *(uint*)(b + 20), *(uint*)(b + 24), *(uint*)(b + 16), dev, *(ulong*)(b + 32),
                *(long*)(b + 40), Nanoseconds(*(long*)(b + 112), *(uint*)(b + 120)), Nanoseconds(*(long*)(b + 96), *(uint*)(b + 104)));
        }
        // macOS struct stat (64-bit inodes): dev(i32)@0 mode(u16)@4 nlink(u16)@6 ino@8 uid@16 gid@20 mtimespec@48 ctimespec@64
        // (timespec: i64 s, i64 ns) size@96
        return new FileStatus(*(ushort*)(b + 4), *(uint*)(b + 16), *(uint*)(b + 20), *(ushort*)(b + 6), *(uint*)b, *(ulong*)(b + 8),
            *(long*)(b + 96), Nanoseconds(*(long*)(b + 48), *(long*)(b + 56)), Nanoseconds(*(long*)(b + 64), *(long*)(b + 72)));
    }

    static long Nanoseconds(long seconds, long nanoseconds) => (seconds * 1_000_000_000) + nanoseconds;

    /// <summary>
    /// Opens an existing file without following a symlink in its last component (O_NOFOLLOW fails with ELOOP), and
    /// without blocking on a FIFO planted there. Never creates: callers create with O_EXCL first (see <see cref="NoFollowFile"/>),
    /// so this two-argument open never needs open(2)'s variadic mode argument, which P/Invoke cannot pass on every ABI.
    /// </summary>
    public static SafeFileHandle? OpenExisting(string path, bool write, bool append, out int errno)
    {
        int flags = (write ? 2 /* O_RDWR */ : 0) | NoFollow | CloExec | NonBlock | (append ? Append : 0);
        int fd = open(path, flags);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    static int NoFollow => OperatingSystem.IsMacOS() ? 0x100
        : RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
    static int CloExec => OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000;
    static int NonBlock => OperatingSystem.IsMacOS() ? 0x4 : 0x800;
    static int Append => OperatingSystem.IsMacOS() ? 0x8 : 0x400;

    /// <summary>An exclusive BSD lock (the kind .NET's FileShare.None takes), released by the OS when the process dies.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle) =>
        flock((int)handle.DangerousGetHandle(), LockEx | LockNb) == 0;

    public static void ChangeOwner(SafeFileHandle handle, uint uid, uint gid)
    {
        if (fchown((int)handle.DangerousGetHandle(), uid, gid) != 0)
            throw new IOException($"fchown failed (errno {Marshal.GetLastPInvokeError()}).");
    }

    /// <summary>
    /// link(2): makes <paramref name="newPath"/> a second name of <paramref name="existing"/>, failing if it exists. True when
    /// linked, false when the name exists (EEXIST, the same number on Linux and macOS), null when the file system cannot
    /// link (the caller falls back); anything else is an IOException.
    /// </summary>
    public static bool? TryLink(string existing, string newPath)
    {
        if (link(existing, newPath) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == 17) return false;
        // EPERM, EXDEV, ENOTSUP/EOPNOTSUPP, EMLINK, ENOSYS: no hard links here (FAT, some network and FUSE file systems).
        if (errno is 1 or 18 or 95 or 45 or 31 or 38 or 78) return null;
        throw new IOException($"link '{existing}' -> '{newPath}' failed (errno {errno})", errno);
    }

    [DllImport("libc", SetLastError = true)] static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
    [DllImport("libc", SetLastError = true)] static extern uint geteuid();
    [DllImport("libc", SetLastError = true)] static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
    [DllImport("libc", SetLastError = true)] static extern int flock(int fd, int operation);
    [DllImport("libc", SetLastError = true)] static extern int fchown(int fd, uint uid, uint gid);
    [DllImport("libc", SetLastError = true)] static extern unsafe int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buf);
    [DllImport("libc", EntryPoint = "stat", SetLastError = true)] static extern unsafe int mac_stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buf);
    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)] static extern unsafe int mac_lstat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buf);
    [DllImport("libc", EntryPoint = "fstat", SetLastError = true)] static extern unsafe int mac_fstat(int fd, byte* buf);
    [DllImport("libc", EntryPoint = "stat$INODE64", SetLastError = true)] static extern unsafe int mac_stat_x64([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buf);
    [DllImport("libc", EntryPoint = "lstat$INODE64", SetLastError = true)] static extern unsafe int mac_lstat_x64([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buf);
    [DllImport("libc", EntryPoint = "fstat$INODE64", SetLastError = true)] static extern unsafe int mac_fstat_x64(int fd, byte* buf);
}
