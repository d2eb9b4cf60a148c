using System.Globalization;
using System.Text;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Encryption;

/// <summary>Identities read from a file or a variable, and what the caller should warn about (never an error).</summary>
public sealed record AgeIdentities(IReadOnlyList<AgeX25519Identity> Identities, IReadOnlyList<SqliteBackupException> Warnings);

/// <summary>
/// age identity files, as age-keygen writes them: '#' comment lines, blank lines and one AGE-SECRET-KEY-1… per line.
/// A bad line is reported by its number only, so a secret never reaches an error message.
/// </summary>
public static class AgeIdentityFile
{
    const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Reads an identity file; warns (EncryptionIdentityFileExposed) when group or others may read it.</summary>
    public static AgeIdentities Load(string path)
    {
        var full = Path.GetFullPath(path);
        string text;
        try { text = File.ReadAllText(full, Encoding.UTF8); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { throw BackupErrors.EncryptionIdentityFileMissing(full); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { throw BackupErrors.EncryptionIdentityFileUnreadable(full, e); }
        var warnings = new List<SqliteBackupException>();
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(full) & GroupOrOthers) != 0)
            warnings.Add(BackupErrors.EncryptionIdentityFileExposed(full, File.GetUnixFileMode(full)));
        return new AgeIdentities(Parse(text, $"the identity file '{full}'"), warnings);
    }

    /// <summary>Reads identities from an environment variable (one or more lines in the file's format).</summary>
    public static AgeIdentities FromEnvironment(string variable)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text)) throw BackupErrors.EncryptionIdentityVariableMissing(variable);
        return new AgeIdentities(Parse(text, $"the environment variable {variable}"), Array.Empty<SqliteBackupException>());
    }

    internal static IReadOnlyList<AgeX25519Identity> Parse(string text, string source)
    {
        var identities = new List<AgeX25519Identity>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            identities.Add(AgeX25519Identity.TryParse(line, out var why) ?? throw BackupErrors.EncryptionIdentityInvalid(source, i + 1, why));
        }
        if (identities.Count == 0) throw BackupErrors.EncryptionIdentityInvalid(source, 0, "it holds no AGE-SECRET-KEY-1… line");
        return identities;
    }

    /// <summary>The text of a new identity file: what age-keygen writes.</summary>
    internal static string Render(AgeX25519Identity identity, DateTimeOffset created) =>
        $"# created: {created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\n" +
        $"# public key: {identity.Recipient}\n" +
        $"{identity.EncodeSecret()}\n";

    /// <summary>Generates a new identity and writes it to a new file (see <see cref="Write"/>).</summary>
    public static BackupKey Create(string path, bool force)
    {
        var identity = AgeX25519Identity.Generate();
        Write(path, identity, force);
        return new BackupKey(identity.Recipient.ToString(), Path.GetFullPath(path));
    }

    /// <summary>
    /// Writes a new identity file readable by its owner only (0600 from the moment it exists). An existing file is
    /// refused unless <paramref name="force"/>, which replaces it atomically: a crash leaves the old key or the new one.
    /// </summary>
    public static void Write(string path, AgeX25519Identity identity, bool force)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw BackupErrors.EncryptionIdentityFileDirectoryMissing(full);
        if (!force && (File.Exists(full) || Directory.Exists(full))) throw BackupErrors.EncryptionIdentityFileExists(full);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var f = new FileStream(temp, options))
            {
                f.Write(Encoding.ASCII.GetBytes(Render(identity, DateTimeOffset.UtcNow)));
                f.Flush(flushToDisk: true);
            }
            // CreateNew semantics for the final name when not forced: a file that appeared meanwhile is not replaced.
            if (force) File.Move(temp, full, overwrite: true);
            else
            {
                try { File.Move(temp, full, overwrite: false); }
                catch (IOException) when (File.Exists(full)) { throw BackupErrors.EncryptionIdentityFileExists(full); }
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw BackupErrors.EncryptionIdentityFileNotWritten(full, e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}

/// <summary>A key New-SqliteBackupKey wrote: where its identity file is and the public key to encrypt to.</summary>
public sealed record BackupKey(string Recipient, string Path);
