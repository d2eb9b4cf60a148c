using SqliteBackup.Core.Encryption;

namespace SqliteBackup.Core.Tests.Encryption;

public class Bech32Tests
{
    // BIP-173's valid Bech32 test vectors.
    [Theory]
    [InlineData("A12UEL5L")]
    [InlineData("a12uel5l")]
    [InlineData("an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs")]
    [InlineData("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")]
    [InlineData("11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j")]
    [InlineData("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w")]
    [InlineData("?1ezyfcl")]
    public void BIP173_valid_strings_pass_the_checksum(string s)
    {
        // Their data parts are not all whole bytes, so the checksum is checked on a copy with one character changed too.
        Assert.True(ChecksumOk(s));
        var i = s.LastIndexOf('1') + 1;
        var flipped = s[..i] + (char.ToLowerInvariant(s[i]) == 'q' ? 'p' : 'q') + s[(i + 1)..];
        Assert.False(ChecksumOk(char.IsUpper(s[0]) ? flipped.ToUpperInvariant() : flipped));
    }

    static bool ChecksumOk(string s)
    {
        var r = Bech32.TryDecode(s, out var why);
        return r != null || why == "its data has invalid padding";
    }

    // BIP-173's invalid vectors (except the 90-character limit, which age lifts).
    [Theory]
    [InlineData("\u00201nwldj5", "printable")]
    [InlineData("\u007f1axkwrx", "printable")]
    [InlineData("\u00801eym55h", "printable")]
    [InlineData("pzry9x0s0muk", "separator")]
    [InlineData("1pzry9x0s0muk", "separator")]
    [InlineData("x1b4n0q5v", "alphabet")]
    [InlineData("li1dgmt3", "too short")]
    [InlineData("de1lg7wt\u00ff", "printable")]
    [InlineData("A1G7SGD8", "checksum")]
    [InlineData("10a06t8", "separator")]
    [InlineData("1qzzfhee", "separator")]
    [InlineData("A12uEL5L", "mixes")]
    public void BIP173_invalid_strings_are_refused_with_the_reason(string s, string reason)
    {
        Assert.Null(Bech32.TryDecode(s, out var why));
        Assert.Contains(reason, why);
    }

    [Fact]
    public void Bytes_round_trip_in_either_case_of_the_HRP()
    {
        var data = Enumerable.Range(0, 32).Select(i => (byte)(i * 37)).ToArray();
        var lower = Bech32.Encode("age", data);
        var upper = Bech32.Encode("AGE-SECRET-KEY-", data);
        Assert.StartsWith("age1", lower);
        Assert.Equal(62, lower.Length);
        Assert.Equal(upper, upper.ToUpperInvariant());
        Assert.Equal(data, Bech32.TryDecode(lower, out _)!.Value.Data);
        Assert.Equal("age-secret-key-", Bech32.TryDecode(upper, out _)!.Value.Hrp);
        Assert.Equal(data, Bech32.TryDecode(upper, out _)!.Value.Data);
    }
}
