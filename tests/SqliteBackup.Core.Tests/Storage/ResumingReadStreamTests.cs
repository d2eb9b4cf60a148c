using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>The resuming rules on their own, over streams that fail on cue: where it reopens, when it gives up.</summary>
public sealed class ResumingReadStreamTests
{
    static readonly byte[] Data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>Data from an offset that fails (or ends early, <paramref name="endEarly"/>) once <paramref name="failAfter"/> bytes were given.</summary>
    sealed class Flaky(long offset, int failAfter, bool endEarly = false) : MemoryStream(Data, (int)offset, Data.Length - (int)offset)
    {
        public override int Read(byte[] buffer, int o, int count)
        {
            int left = failAfter - (int)Position;
            if (left <= 0)
            {
                if (endEarly) return 0;
                throw new IOException("connection reset");
            }
            return base.Read(buffer, o, Math.Min(count, left));
        }
        public override int Read(Span<byte> buffer)
        {
            var b = new byte[buffer.Length];
            int n = Read(b, 0, b.Length);
            b.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
    }

    [Theory]
    [InlineData(3000, false)]
    [InlineData(3000, true)] // the body ends before its length without an error
    [InlineData(1, false)]
    public void Reads_on_from_the_first_byte_not_read_after_each_cut(int every, bool endEarly)
    {
        var opened = new List<long>();
        using var s = new ResumingReadStream(new Flaky(0, every, endEarly), Data.Length, (offset, _) => { opened.Add(offset); return new Flaky(offset, every, endEarly); }, e => e is IOException);
        var got = new MemoryStream();
        if (every == 1)
        {
            // One byte per connection would be 10,000 reopens: a link that bad is reported (MaxResumes), not read forever.
            Assert.Throws<IOException>(() => s.CopyTo(got));
            Assert.Equal(ResumingReadStream.MaxResumes, s.Resumes);
            Assert.Equal(Enumerable.Range(1, ResumingReadStream.MaxResumes).Select(i => (long)i), opened);
            return;
        }
        s.CopyTo(got);
        Assert.Equal(Data, got.ToArray());
        Assert.Equal([3000L, 6000L, 9000L], opened);
    }

    [Fact]
    public void Gives_up_after_reopens_in_a_row_that_bring_no_byte_and_passes_other_failures_through()
    {
        int opens = 0;
        using (var s = new ResumingReadStream(new Flaky(0, 100), Data.Length, (offset, _) => { opens++; return new Flaky(offset, 0); }, e => e is IOException))
        {
            Assert.Throws<IOException>(() => s.CopyTo(Stream.Null));
            Assert.Equal(ResumingReadStream.MaxResumesWithoutProgress, opens);
        }

        // Not the connection's failure (the reopen refused, say): no second try.
        opens = 0;
        using (var s = new ResumingReadStream(new Flaky(0, 100), Data.Length, (_, _) => { opens++; throw new InvalidDataException("changed"); }, e => e is IOException))
        {
            Assert.Throws<InvalidDataException>(() => s.CopyTo(Stream.Null));
            Assert.Equal(1, opens);
        }
    }
}
