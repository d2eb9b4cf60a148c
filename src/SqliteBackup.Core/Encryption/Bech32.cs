using System.Text;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// BIP-173 Bech32 (the original checksum, not Bech32m), as age uses it for its keys. age lifts BIP-173's 90-character
/// limit and so does this; everything else (one case only, the checksum, zero padding bits) is checked.
/// </summary>
internal static class Bech32
{
    const string Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    static readonly uint[] Generator = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };

    static uint Polymod(ReadOnlySpan<byte> values, uint chk = 1)
    {
        foreach (var v in values)
        {
            uint top = chk >> 25;
            chk = (chk & 0x1ffffff) << 5 ^ v;
            for (int i = 0; i < 5; i++) if ((top >> i & 1) != 0) chk ^= Generator[i];
        }
        return chk;
    }

    static byte[] ExpandHrp(string hrp)
    {
        var r = new byte[hrp.Length * 2 + 1];
        for (int i = 0; i < hrp.Length; i++) { r[i] = (byte)(hrp[i] >> 5); r[i + hrp.Length + 1] = (byte)(hrp[i] & 31); }
        return r;
    }

    /// <summary>Encodes 8-bit data under <paramref name="hrp"/>; the result has the case of the HRP given (age writes secret keys in upper case).</summary>
    public static string Encode(string hrp, ReadOnlySpan<byte> data)
    {
        bool upper = hrp != hrp.ToLowerInvariant();
        if (upper && hrp != hrp.ToUpperInvariant()) throw new ArgumentException("mixed-case HRP", nameof(hrp));
        string lowHrp = hrp.ToLowerInvariant();
        var five = ConvertBits(data, 8, 5, pad: true)!;
        var values = ExpandHrp(lowHrp).Concat(five).Concat(new byte[6]).ToArray();
        uint mod = Polymod(values) ^ 1;
        var sb = new StringBuilder(lowHrp).Append('1');
        foreach (var b in five) sb.Append(Charset[b]);
        for (int i = 0; i < 6; i++) sb.Append(Charset[(int)(mod >> 5 * (5 - i) & 31)]);
        var s = sb.ToString();
        return upper ? s.ToUpperInvariant() : s;
    }

    /// <summary>Decodes a Bech32 string into its lower-case HRP and 8-bit data; null with a reason when it is not valid.</summary>
    public static (string Hrp, byte[] Data)? TryDecode(string s, out string why)
    {
        why = "";
        foreach (var c in s) if (c < 33 || c > 126) { why = "it holds a character outside printable ASCII"; return null; }
        var lower = s.ToLowerInvariant();
        if (lower != s && s.ToUpperInvariant() != s) { why = "it mixes upper and lower case"; return null; }
        int sep = lower.LastIndexOf('1');
        if (sep < 1) { why = "it has no human-readable part before the separator '1'"; return null; }
        if (lower.Length - sep - 1 < 6) { why = "its checksum is too short"; return null; }
        string hrp = lower[..sep];
        var values = new byte[lower.Length - sep - 1];
        for (int i = 0; i < values.Length; i++)
        {
            int v = Charset.IndexOf(lower[sep + 1 + i]);
            if (v < 0) { why = $"character {sep + 2 + i} is not in the Bech32 alphabet"; return null; }
            values[i] = (byte)v;
        }
        if (Polymod(values, Polymod(ExpandHrp(hrp))) != 1) { why = "its checksum does not match (a character is wrong or missing)"; return null; }
        var data = ConvertBits(values.AsSpan(0, values.Length - 6), 5, 8, pad: false);
        if (data == null) { why = "its data has invalid padding"; return null; }
        return (hrp, data);
    }

    static byte[]? ConvertBits(ReadOnlySpan<byte> data, int from, int to, bool pad)
    {
        int acc = 0, bits = 0, max = (1 << to) - 1;
        var r = new List<byte>(data.Length * from / to + 1);
        foreach (var v in data)
        {
            acc = acc << from | v;
            bits += from;
            while (bits >= to) { bits -= to; r.Add((byte)(acc >> bits & max)); }
        }
        if (pad) { if (bits > 0) r.Add((byte)(acc << (to - bits) & max)); }
        else if (bits >= from || (acc << (to - bits) & max) != 0) return null;
        return r.ToArray();
    }
}
