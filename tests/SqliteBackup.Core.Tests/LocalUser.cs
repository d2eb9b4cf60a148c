namespace SqliteBackup.Core.Tests;

/// <summary>
/// A throwaway local user for the multi-user cases (files planted by someone else). Needs root and useradd; the user
/// is removed on dispose even when the test fails.
/// </summary>
public sealed class LocalUser : IDisposable
{
    public LocalUser()
    {
        Name = "sbtest" + Random.Shared.Next(10000, 99999);
        var (code, _, err) = Cli.Run("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", Name);
        if (code != 0) throw new InvalidOperationException($"useradd {Name} failed: {err}");
        Uid = int.Parse(Cli.Run("id", "-u", Name).Out.Trim());
    }

    public string Name { get; }
    public int Uid { get; }

    public static void RequireRoot()
    {
        bool root = !OperatingSystem.IsWindows() && Environment.UserName == "root" && Cli.Has("useradd") && Cli.Has("userdel");
        Skip.IfNot(root || Environment.GetEnvironmentVariable("SQLITEBACKUP_REQUIRE_CLI") == "1", "needs root and useradd to create a second user");
    }

    /// <summary>Gives <paramref name="path"/> to this user, as if they had created it.</summary>
    public void Owns(string path)
    {
        var (code, _, err) = Cli.Run("chown", "-h", $"{Name}:{Name}", path);
        if (code != 0) throw new InvalidOperationException($"chown failed: {err}");
    }

    public void Dispose() => Cli.Run("userdel", Name);
}
