using System.Security.Cryptography;
using System.Text;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// The text header of an age v1 file: the version line, one stanza per recipient, and a MAC under a key derived from the
/// file key, so a header that was changed (a recipient added, removed or altered) is refused by whoever opens it.
/// </summary>
internal static class AgeHeader
{
    public const string VersionLine = "age-encryption.org/v1";
    const int ColumnsPerLine = 64;
    // A bound on what is buffered before the MAC is checked; real headers are a few hundred bytes per recipient.
    const int MaxHeaderBytes = 1 << 20;
    const int MaxLineBytes = 16 << 10;
    static readonly byte[] MacInfo = Encoding.ASCII.GetBytes("header");

    public static byte[] Write(IReadOnlyList<AgeStanza> stanzas, ReadOnlySpan<byte> fileKey)
    {
        var sb = new StringBuilder(VersionLine).Append('\n');
        foreach (var s in stanzas)
        {
            sb.Append("-> ").Append(s.Type);
            foreach (var a in s.Args) sb.Append(' ').Append(a);
            sb.Append('\n');
            var body = AgeBase64.Encode(s.Body);
            // Every body ends with a line shorter than 64 columns, empty when the body fills its last line exactly.
            for (int i = 0; ; i += ColumnsPerLine)
            {
                int n = Math.Min(ColumnsPerLine, body.Length - i);
                sb.Append(body, i, n).Append('\n');
                if (n < ColumnsPerLine) break;
            }
        }
        sb.Append("---");
        var macInput = Encoding.ASCII.GetBytes(sb.ToString());
        sb.Append(' ').Append(AgeBase64.Encode(Mac(fileKey, macInput))).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    public static byte[] Mac(ReadOnlySpan<byte> fileKey, ReadOnlySpan<byte> headerUpToDashes)
    {
        var key = AgePayload.Hkdf(fileKey, ReadOnlySpan<byte>.Empty, MacInfo);
        var mac = HMACSHA256.HashData(key, headerUpToDashes);
        CryptographicOperations.ZeroMemory(key);
        return mac;
    }

    public sealed record Parsed(IReadOnlyList<AgeStanza> Stanzas, byte[] MacInput, byte[] Mac);

    /// <summary>Reads the header and nothing past its last newline; throws AgeFormatException for anything malformed.</summary>
    public static Parsed Read(Stream input)
    {
        var all = new MemoryStream();
        string Line()
        {
            long start = all.Length;
            while (true)
            {
                int b = input.ReadByte();
                if (b < 0) throw new AgeFormatException(all.Length == 0 ? "it is empty" : "its header ends early");
                if (b == '\n') break;
                if (b < 0x20 || b > 0x7e) throw new AgeFormatException("its header holds a byte that is not printable ASCII (it is not an age file, or not one in the binary format)");
                all.WriteByte((byte)b);
                if (all.Length - start > MaxLineBytes || all.Length > MaxHeaderBytes) throw new AgeFormatException("its header is implausibly long");
            }
            var line = Encoding.ASCII.GetString(all.GetBuffer(), (int)start, (int)(all.Length - start));
            all.WriteByte((byte)'\n');
            return line;
        }

        if (Line() != VersionLine) throw new AgeFormatException("it does not start with the age v1 version line");
        var stanzas = new List<AgeStanza>();
        var line = Line();
        while (line.StartsWith("-> ", StringComparison.Ordinal))
        {
            var parts = line[3..].Split(' ');
            if (parts.Any(p => p.Length == 0)) throw new AgeFormatException("a stanza line has an empty argument");
            var body = new StringBuilder();
            string bodyLine;
            do
            {
                bodyLine = Line();
                if (bodyLine.Length > ColumnsPerLine) throw new AgeFormatException("a stanza body line is longer than 64 columns");
                body.Append(bodyLine);
            } while (bodyLine.Length == ColumnsPerLine);
            var bytes = AgeBase64.Decode(body.ToString()) ?? throw new AgeFormatException("a stanza body is not canonical base64");
            stanzas.Add(new AgeStanza(parts[0], parts[1..], bytes));
            line = Line();
        }
        if (stanzas.Count == 0) throw new AgeFormatException("its header has no recipient stanza");
        if (!line.StartsWith("--- ", StringComparison.Ordinal)) throw new AgeFormatException("its header has a line that is neither a stanza nor the MAC");
        var mac = AgeBase64.Decode(line[4..]);
        if (mac is not { Length: 32 }) throw new AgeFormatException("its header MAC is not 32 bytes of canonical base64");
        // The MAC covers the header up to and including "---", not the space and MAC after it.
        var macInput = all.ToArray().AsSpan(0, (int)all.Length - line.Length + 3 - 1).ToArray();
        return new Parsed(stanzas, macInput, mac);
    }
}
