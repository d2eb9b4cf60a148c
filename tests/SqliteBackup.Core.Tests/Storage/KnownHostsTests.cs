using System.Security.Cryptography;
using System.Text;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Tests.Storage;

public sealed class KnownHostsTests
{
    // Two real ed25519 public keys and one RSA key (the blobs only: they are compared, never used).
    const string KeyA = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const string KeyB = "AAAAC3NzaC1lZDI1NTE5AAAAIGyR5jPl5oXx1a3qYgCP3+XJ2XQ9uvYl3pO7WkL0Jb2x";
    const string KeyRsa = "AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7";

    static string Hashed(string name, byte[] salt) =>
        $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name)))}";

    static readonly byte[] Salt = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();

    public static TheoryData<string, string, int, string, HostKeyVerdict> Cases() => new()
    {
        // plain names, port 22 and the [host]:port form
        { $"backup.example.org ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Trusted },
        { $"BACKUP.example.org ssh-ed25519 {KeyA}", "backup.EXAMPLE.org", 22, KeyA, HostKeyVerdict.Trusted },
        { $"backup.example.org ssh-ed25519 {KeyA}", "backup.example.org", 2222, KeyA, HostKeyVerdict.Unknown },
        { $"[backup.example.org]:2222 ssh-ed25519 {KeyA}", "backup.example.org", 2222, KeyA, HostKeyVerdict.Trusted },
        { $"[backup.example.org]:2222 ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Unknown },
        { $"[backup.example.org]:2222 ssh-ed25519 {KeyA}", "backup.example.org", 2223, KeyA, HostKeyVerdict.Unknown },
        // several names on a line, wildcards and negation
        { $"other,backup.example.org,10.0.0.5 ssh-ed25519 {KeyA}", "10.0.0.5", 22, KeyA, HostKeyVerdict.Trusted },
        { $"*.example.org ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Trusted },
        { $"backup?.example.org ssh-ed25519 {KeyA}", "backup1.example.org", 22, KeyA, HostKeyVerdict.Trusted },
        { $"*.example.org,!backup.example.org ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Unknown },
        { $"*.example.org ssh-ed25519 {KeyA}", "example.org", 22, KeyA, HostKeyVerdict.Unknown },
        // hashed names (HashKnownHosts, ssh-keyscan -H): plain and with a port
        { $"{Hashed("backup.example.org", Salt)} ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Trusted },
        { $"{Hashed("[127.0.0.1]:2222", Salt)} ssh-ed25519 {KeyA}", "127.0.0.1", 2222, KeyA, HostKeyVerdict.Trusted },
        { $"{Hashed("127.0.0.1", Salt)} ssh-ed25519 {KeyA}", "127.0.0.1", 2222, KeyA, HostKeyVerdict.Unknown },
        { $"{Hashed("[127.0.0.1]:2222", Salt)} ssh-ed25519 {KeyB}", "127.0.0.1", 2222, KeyA, HostKeyVerdict.Changed },
        { $"|1|bm90LWJhc2U2NA|!!! ssh-ed25519 {KeyA}", "127.0.0.1", 22, KeyA, HostKeyVerdict.Unknown },
        // another key of the same type: changed; only another type: unknown
        { $"backup.example.org ssh-ed25519 {KeyB}", "backup.example.org", 22, KeyA, HostKeyVerdict.Changed },
        { $"backup.example.org ssh-rsa {KeyRsa}", "backup.example.org", 22, KeyA, HostKeyVerdict.Unknown },
        // the key under another type name is not the key
        { $"backup.example.org ecdsa-sha2-nistp256 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Unknown },
        // old and new key of one type while rotating: the matching one is enough
        { $"backup.example.org ssh-ed25519 {KeyB}\nbackup.example.org ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Trusted },
        // markers: a revoked key is refused whatever other line trusts it; CA lines are not host keys
        { $"@revoked * ssh-ed25519 {KeyA}\nbackup.example.org ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Changed },
        { $"@cert-authority *.example.org ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Unknown },
        // comments, blank lines, trailing comments, tabs, CRLF, junk
        { $"# backup.example.org ssh-ed25519 {KeyA}\n\n", "backup.example.org", 22, KeyA, HostKeyVerdict.Unknown },
        { $"backup.example.org\tssh-ed25519\t{KeyA} root@backup\r\n", "backup.example.org", 22, KeyA, HostKeyVerdict.Trusted },
        { $"backup.example.org ssh-ed25519\nbackup.example.org ssh-ed25519 not*base64\nbackup.example.org ssh-ed25519 {KeyA}", "backup.example.org", 22, KeyA, HostKeyVerdict.Trusted },
        { "", "backup.example.org", 22, KeyA, HostKeyVerdict.Unknown },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_host_key_is_trusted_only_when_a_line_for_that_host_and_port_holds_exactly_it(string file, string host, int port, string key, HostKeyVerdict expected)
    {
        var blob = Convert.FromBase64String(key);
        Assert.Equal(expected, KnownHosts.Check(file, host, port, KnownHosts.KeyType(blob)!, blob, out _));
    }

    [Fact]
    public void The_key_types_known_for_a_host_are_reported_so_the_error_can_say_what_is_known()
    {
        var blob = Convert.FromBase64String(KeyA);
        KnownHosts.Check($"h ssh-rsa {KeyRsa}\nh ecdsa-sha2-nistp256 {KeyB}\nother ssh-ed25519 {KeyB}", "h", 22, "ssh-ed25519", blob, out var types);
        Assert.Equal(["ssh-rsa", "ecdsa-sha2-nistp256"], types);
    }

    [Fact]
    public void Fingerprints_and_key_types_read_as_ssh_keygen_shows_them()
    {
        var blob = Convert.FromBase64String(KeyA);
        Assert.Equal("ssh-ed25519", KnownHosts.KeyType(blob));
        Assert.Equal("SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('='), KnownHosts.Fingerprint(blob));
        Assert.DoesNotContain("=", KnownHosts.Fingerprint(blob));
        Assert.Null(KnownHosts.KeyType([0, 0, 0, 99, 1]));
        Assert.Equal("[h]:2222", KnownHosts.HostName("H", 2222));
        Assert.Equal("h", KnownHosts.HostName("H", 22));
    }
}
