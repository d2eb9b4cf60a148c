using System.Security.Cryptography;
using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Storage.Sftp;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>
/// Which cipher an SFTP connection settles on: AES-GCM with OpenSSH (the cheapest per byte for both ends), and still a
/// working connection with a server that offers only aes128-ctr (nothing was taken off the list, only reordered).
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class SftpCipherTests(SshdServer server) : IDisposable
{
    public void Dispose() => server.ResetEnvironment();

    static SftpLocation Location(SshdServer s, string dir) => SftpLocation.Parse(new Uri(s.LocationOf(dir)), null);

    [SkippableFact]
    public void OpenSSH_and_the_store_agree_on_aes128_gcm_for_both_directions()
    {
        string dir = server.NewDirectory();
        Directory.CreateDirectory(dir);
        using var client = SftpConnector.Connect(Location(server, dir), new StoreOptions());
        Assert.Equal("aes128-gcm@openssh.com", client.ConnectionInfo.CurrentClientEncryption);
        Assert.Equal("aes128-gcm@openssh.com", client.ConnectionInfo.CurrentServerEncryption);
        using var shell = SftpConnector.ConnectShell(Location(server, dir), new StoreOptions());
        Assert.Equal("aes128-gcm@openssh.com", shell.ConnectionInfo.CurrentClientEncryption);
    }

    [SkippableFact]
    public void A_server_offering_only_aes128_ctr_still_stores_and_returns_the_bytes()
    {
        server.Require();
        using var ctrOnly = new SshdServer("aes128-ctr");
        try
        {
            string dir = ctrOnly.NewDirectory();
            using (var client = SftpConnector.Connect(Location(ctrOnly, dir), new StoreOptions()))
            {
                Assert.Equal("aes128-ctr", client.ConnectionInfo.CurrentClientEncryption);
                // No GCM, so a MAC: the encrypt-then-MAC one OpenSSH offers first among ours.
                Assert.Equal("hmac-sha2-256-etm@openssh.com", client.ConnectionInfo.CurrentClientHmacAlgorithm);
            }
            using var store = new SftpStore(new Uri(ctrOnly.LocationOf(dir)), new StoreOptions { Create = true });
            var bytes = RandomNumberGenerator.GetBytes(300_000);
            store.Put("a.db", new MemoryStream(bytes), createOnly: true);
            using var read = store.OpenRead("a.db");
            var back = new MemoryStream();
            read.CopyTo(back);
            Assert.Equal(bytes, back.ToArray());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), store.ServiceSha256("a.db", bytes.Length));
        }
        finally { server.ResetEnvironment(); }
    }
}
