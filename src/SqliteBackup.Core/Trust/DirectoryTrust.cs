using SqliteBackup.Core.Errors;
namespace SqliteBackup.Core.Trust;

/// <summary>
/// OpenSSH's StrictModes for backup directories: a directory that users other than its owner and root can write is not
/// trusted, because whoever can create files there can plant manifests that rotation acts on and restore believes, or
/// symlinks that a job running as root follows. A sticky world-writable directory such as /tmp counts as writable by
/// others: the sticky bit stops others deleting our files, not adding their own. An ancestor writable by others without
/// the sticky bit is refused too, since anyone could rename the directory away and put their own in its place.
/// A group-writable directory is fine when the group holds only the owner (user private groups, umask 002). Every
/// folder above it must belong to root or to the user running us, as OpenSSH demands of the path to authorized_keys.
/// </summary>
public static class DirectoryTrust
{
    /// <summary>Throws InsecureBackupDirectory unless the directory (or, while it does not exist yet, its ancestors) is trusted.</summary>
    public static void Demand(string directory, bool allowInsecure)
    {
        if (allowInsecure) return;
        string? problem = Problem(directory);
        if (problem != null) throw BackupErrors.InsecureBackupDirectory(Path.GetFullPath(directory), problem);
    }

    /// <summary>Why the directory is not trusted, or null.</summary>
    public static string? Problem(string directory)
    {
        if (OperatingSystem.IsWindows()) return null;
        directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!Posix.Supported) return ModeOnlyProblem(directory);
        var st = Posix.Stat(directory);
        if (st is { } s && s.WritableByOthers && !GroupIsOnlyOwner(s))
            return $"it is writable by {Who(s)} (mode {Octal(s)}, owner uid {s.Uid})";
        // In a folder others can write (such as /tmp), whoever made the directory, or a symlink by its name, controls it.
        if (Path.GetDirectoryName(directory) is { } parent && Posix.Stat(parent) is { } ps && ps.WritableByOthers && !GroupIsOnlyOwner(ps))
        {
            if (Posix.Lstat(directory) is { IsSymlink: true } link && !IsRootOrMe(link.Uid))
                return $"it is a symbolic link owned by uid {link.Uid} in '{parent}', which every user can write";
            if (st is { } own && !IsRootOrMe(own.Uid))
                return $"it is owned by uid {own.Uid} and sits in '{parent}', which other users can write, so anyone could have made it";
        }
        for (string? p = Path.GetDirectoryName(directory); p != null; p = Path.GetDirectoryName(p))
        {
            if (Posix.Stat(p) is not { } a) continue;
            // Like OpenSSH for ~/.ssh: the owner of any folder on the path can rename what is below it and put their own
            // in its place, sticky bit or not.
            if (!IsRootOrMe(a.Uid))
                return $"its parent '{p}' is owned by uid {a.Uid}, who could replace '{directory}' with a folder of their own";
            if (!a.WritableByOthers || a.IsSticky || GroupIsOnlyOwner(a)) continue;
            return $"its parent '{p}' is writable by {Who(a)} without the sticky bit (mode {Octal(a)}), so anyone can replace '{directory}'";
        }
        return null;
    }

    /// <summary>Where owners cannot be read: at least no group- or world-writable directory.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    static string? ModeOnlyProblem(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        var mode = File.GetUnixFileMode(directory);
        return (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0
            ? $"it is writable by users other than its owner (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')})" : null;
    }

    /// <summary>
    /// Why a file that tells us what to do (a job configuration, a notification program) cannot be trusted, or null: it
    /// must be a regular file owned by root or by the user running us, writable by no one else, in a trusted folder.
    /// Otherwise whoever can change it decides what a job running as root executes, as cron and OpenSSH refuse too.
    /// Followed through symlinks: what counts is the file that is read or run, and the link itself.
    /// </summary>
    public static string? FileProblem(string file)
    {
        if (OperatingSystem.IsWindows() || !Posix.Supported) return null;
        file = Path.GetFullPath(file);
        if (Posix.Lstat(file) is { IsSymlink: true } link && !IsRootOrMe(link.Uid)) return $"it is a symbolic link owned by uid {link.Uid}";
        if (Posix.Stat(file) is not { } st) return null; // missing: the caller reports that in its own words
        if (!st.IsRegular) return "it is not a regular file";
        if (!IsRootOrMe(st.Uid)) return $"it is owned by uid {st.Uid}, neither root nor you (uid {Posix.EffectiveUid})";
        if (st.WritableByOthers && !GroupIsOnlyOwner(st)) return $"it is writable by {Who(st)} (mode {Octal(st)})";
        string real = new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? file;
        return Problem(Path.GetDirectoryName(real)!) is { } folder ? $"its folder is not safe: {folder}" : null;
    }

    static bool IsRootOrMe(uint uid) => uid == 0 || uid == Posix.EffectiveUid;

    static string Who(FileStatus s) => (s.Mode & 0x2) != 0 ? "every user" : "other members of its group";

    static string Octal(FileStatus s) => Convert.ToString(s.Permissions, 8).PadLeft(4, '0');

    /// <summary>
    /// Only a group-writable (not world-writable) directory whose group lists no members and is nobody's primary group but
    /// the owner's, read from /etc/group and /etc/passwd. Groups from a directory service cannot be proven and are refused.
    /// </summary>
    static bool GroupIsOnlyOwner(FileStatus s)
    {
        if ((s.Mode & 0x2) != 0) return false;
        try
        {
            string? owner = null;
            bool groupFound = false;
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var f = line.Split(':');
                if (f.Length < 4 || !uint.TryParse(f[2], out uint uid) || !uint.TryParse(f[3], out uint gid)) continue;
                if (uid == s.Uid) owner = f[0];
                else if (gid == s.Gid) return false; // someone else's primary group
            }
            if (owner == null) return false;
            foreach (var line in File.ReadLines("/etc/group"))
            {
                var f = line.Split(':');
                if (f.Length < 4 || !uint.TryParse(f[2], out uint gid) || gid != s.Gid) continue;
                groupFound = true;
                if (f[3].Split(',', StringSplitOptions.RemoveEmptyEntries).Any(m => m != owner)) return false;
            }
            return groupFound;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}

/// <summary>Whose files a backup directory may hold: root, the directory's owner, and the user running us.</summary>
internal sealed class TrustedOwners
{
    readonly uint? _directoryOwner;

    TrustedOwners(uint? directoryOwner) => _directoryOwner = directoryOwner;

    public static TrustedOwners For(string directory) => new(Posix.Supported ? Posix.Stat(directory)?.Uid : null);

    public bool Trusts(FileStatus? st) => st is not { } s || !Posix.Supported || s.Uid == 0 || s.Uid == Posix.EffectiveUid || s.Uid == _directoryOwner;
}
