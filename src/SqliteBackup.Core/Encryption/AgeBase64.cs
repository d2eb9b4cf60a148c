namespace SqliteBackup.Core.Encryption;

/// <summary>
/// The base64 of age headers: the standard alphabet without padding, and canonical only (unused trailing bits zero),
/// so one header has exactly one encoding and the MAC covers exactly what was parsed.
/// </summary>
internal static class AgeBase64
{
    public static string Encode(ReadOnlySpan<byte> data) => Convert.ToBase64String(data).TrimEnd('=');

    public static byte[]? Decode(string s)
    {
        if (s.Length % 4 == 1) return null;
        foreach (var c in s)
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/')) return null;
        var padded = s + new string('=', (4 - s.Length % 4) % 4);
        var r = Convert.FromBase64String(padded);
        return Encode(r) == s ? r : null;
    }
}

/// <summary>An age header or payload that does not follow the format; the readers turn it into EncryptedDataDamaged.</summary>
internal sealed class AgeFormatException : Exception
{
    public AgeFormatException(string message) : base(message) { }
}
