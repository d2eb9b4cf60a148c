using System.Text.Json.Serialization;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// What a manifest says about an encrypted backup: how it was encrypted and the MACs that make the manifest (and through
/// it the stored and raw hashes) authentic. Public keys, salts and MACs only: never a secret.
/// </summary>
public sealed class EncryptionRecord
{
    public const string AgeFormat = "age";

    public string Format { get; set; } = AgeFormat;
    /// <summary>The age1… public keys the file key was wrapped to (empty in passphrase mode).</summary>
    public List<string> Recipients { get; set; } = [];
    /// <summary>Encrypted with a passphrase (age's scrypt recipient) instead of public keys.</summary>
    public bool Passphrase { get; set; }
    /// <summary>The writer's public key W: the MAC for recipient i is keyed by X25519(w, R_i) = X25519(r_i, W).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Writer { get; set; }
    /// <summary>Hex HMAC-SHA-256 of the manifest's authenticated fields, one per recipient (in their order), or one in passphrase mode.</summary>
    public List<string> Macs { get; set; } = [];
    /// <summary>Passphrase mode: the scrypt salt (hex) and work factor of the MAC key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MacSalt { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MacWorkFactor { get; set; }
}
