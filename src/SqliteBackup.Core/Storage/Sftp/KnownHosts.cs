using System.Security.Cryptography;
using System.Text;

namespace SqliteBackup.Core.Storage.Sftp;

public enum HostKeyVerdict
{
    /// <summary>A line for this host holds exactly this key.</summary>
    Trusted,
    /// <summary>No line for this host holds a key of this type (it may know keys of other types).</summary>
    Unknown,
    /// <summary>The host is known with another key of the same type, or this key is marked @revoked: someone may be in between.</summary>
    Changed,
}

/// <summary>
/// OpenSSH's known_hosts, read the way ssh(1) reads it: plain host patterns (comma-separated, '*' and '?' wildcards,
/// '!' negation, "[host]:port" for a port other than 22) and hashed names ("|1|salt|HMAC-SHA1(salt, name)", what
/// HashKnownHosts and ssh-keyscan -H write); @revoked lines refuse their key for every host; @cert-authority lines
/// are not host keys and are skipped. A pure function of the file's text, so every rule has a table-driven test.
/// </summary>
public static class KnownHosts
{
    /// <summary>The name a host is written under: "host" on port 22, "[host]:port" elsewhere.</summary>
    public static string HostName(string host, int port) => port == 22 ? host.ToLowerInvariant() : $"[{host.ToLowerInvariant()}]:{port}";

    /// <param name="keyType">The key's type as its blob starts ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256").</param>
    /// <param name="keyBlob">The public key in SSH wire format, as the server sent it.</param>
    /// <param name="knownTypes">The key types the file holds for this host, so a caller can say what it does know.</param>
    public static HostKeyVerdict Check(string text, string host, int port, string keyType, ReadOnlySpan<byte> keyBlob, out IReadOnlyList<string> knownTypes)
    {
        string name = HostName(host, port);
        var types = new List<string>();
        bool trusted = false, changed = false;
        foreach (var raw in text.Split('\n'))
        {
            var fields = raw.Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0].StartsWith('#')) continue;
            string? marker = null;
            if (fields[0].StartsWith('@'))
            {
                marker = fields[0];
                fields = fields[1..];
            }
            if (fields.Length < 3 || marker == "@cert-authority") continue;
            byte[] blob;
            try { blob = Convert.FromBase64String(fields[2]); }
            catch (FormatException) { continue; }
            bool sameKey = fields[1] == keyType && blob.AsSpan().SequenceEqual(keyBlob);
            if (marker == "@revoked")
            {
                if (sameKey) return Finish(HostKeyVerdict.Changed, types, out knownTypes);
                continue;
            }
            if (marker != null || !HostMatches(fields[0], name)) continue;
            if (!types.Contains(fields[1])) types.Add(fields[1]);
            if (sameKey) trusted = true;
            else if (fields[1] == keyType) changed = true;
        }
        // A revoked key is refused wherever it is listed; otherwise one matching line is enough, as in ssh(1), which
        // also accepts a host listed with an old and a new key of one type while keys are rotated.
        return Finish(trusted ? HostKeyVerdict.Trusted : changed ? HostKeyVerdict.Changed : HostKeyVerdict.Unknown, types, out knownTypes);
    }

    static HostKeyVerdict Finish(HostKeyVerdict verdict, List<string> types, out IReadOnlyList<string> knownTypes)
    {
        knownTypes = types;
        return verdict;
    }

    /// <summary>The first field: one hashed name, or patterns of which one matches and no negated one does.</summary>
    internal static bool HostMatches(string field, string name)
    {
        if (field.StartsWith("|1|", StringComparison.Ordinal)) return HashedMatches(field, name);
        bool matched = false;
        foreach (var pattern in field.Split(','))
        {
            if (pattern.Length == 0) continue;
            bool negated = pattern[0] == '!';
            if (!Wildcard(negated ? pattern[1..] : pattern, name)) continue;
            if (negated) return false;
            matched = true;
        }
        return matched;
    }

    static bool HashedMatches(string field, string name)
    {
        var parts = field.Split('|');
        if (parts.Length != 4) return false;
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name)), hash);
        }
        catch (FormatException) { return false; }
    }

    /// <summary>'*' any run, '?' one character, case-insensitive, as ssh's match_pattern.</summary>
    static bool Wildcard(string pattern, string name)
    {
        pattern = pattern.ToLowerInvariant();
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n])) { p++; n++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = n; }
            else if (star >= 0) { p = star + 1; n = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>"SHA256:..." as ssh-keygen -l and ssh-keyscan users see it.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The key type a blob declares (its first SSH string), or null for a blob that is not one.</summary>
    public static string? KeyType(ReadOnlySpan<byte> keyBlob)
    {
        if (keyBlob.Length < 4) return null;
        int length = (keyBlob[0] << 24) | (keyBlob[1] << 16) | (keyBlob[2] << 8) | keyBlob[3];
        return length > 0 && length <= keyBlob.Length - 4 ? Encoding.ASCII.GetString(keyBlob.Slice(4, length)) : null;
    }
}
