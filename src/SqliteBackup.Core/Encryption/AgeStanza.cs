namespace SqliteBackup.Core.Encryption;

/// <summary>One recipient stanza of an age header: its type, its arguments and its body (a wrapped file key).</summary>
internal sealed record AgeStanza(string Type, IReadOnlyList<string> Args, byte[] Body);

/// <summary>Someone a file is encrypted to: wraps the file key into a stanza only the matching identity opens.</summary>
public interface IAgeRecipient
{
    internal AgeStanza Wrap(ReadOnlySpan<byte> fileKey);
}

/// <summary>What opens a file: tries to unwrap the file key from one stanza.</summary>
public interface IAgeIdentity
{
    /// <summary>
    /// The file key, or null when the stanza is not for this identity. Throws when a stanza of this identity's type is
    /// malformed (the file is damaged) or asks for too much work (scrypt).
    /// </summary>
    internal byte[]? TryUnwrap(AgeStanza stanza, IReadOnlyList<AgeStanza> all);
}
