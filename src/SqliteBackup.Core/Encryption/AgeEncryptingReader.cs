using System.Security.Cryptography;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// An age v1 file as a stream to read from: the plaintext is read and sealed 64 KiB at a time only as the reader asks
/// for more, like <see cref="Format.CompressingReader"/>, so a store's Put pulls ciphertext straight from the
/// compressor and no encrypted copy is written locally. The stored bytes are hashed on the way (SHA-256 of the object as
/// stored, for Quick verification without a key).
/// </summary>
public sealed class AgeEncryptingReader : Stream
{
    readonly Stream _plain;
    readonly AgePayload.Chunks _chunks;
    readonly bool _leaveOpen;
    readonly Aead _aead;
    readonly byte[] _plainChunk = new byte[AgePayload.ChunkSize];
    readonly byte[] _out = new byte[AgePayload.SealedChunkSize];
    readonly byte[] _nonce = new byte[Aead.NonceSize];
    readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    byte[] _pending;
    int _pendingLength, _served;
    ulong _index;
    bool _done;
    long _stored, _plainRead;
    string? _storedSha256;

    /// <param name="plaintext">Read to its end; left open when <paramref name="leaveOpen"/>.</param>
    /// <param name="recipients">At least one; a passphrase (scrypt) recipient only alone, as the format requires.</param>
    public AgeEncryptingReader(Stream plaintext, IReadOnlyList<IAgeRecipient> recipients, bool leaveOpen = false)
    {
        if (recipients.Count == 0) throw new ArgumentException("At least one recipient is needed.", nameof(recipients));
        if (recipients.Count > 1 && recipients.Any(r => r is AgeScryptRecipient)) throw BackupErrors.EncryptionPassphraseNotAlone();
        _plain = plaintext;
        _chunks = new AgePayload.Chunks(plaintext);
        _leaveOpen = leaveOpen;
        var fileKey = RandomNumberGenerator.GetBytes(16);
        var header = AgeHeader.Write(recipients.Select(r => r.Wrap(fileKey)).ToList(), fileKey);
        var nonce = RandomNumberGenerator.GetBytes(AgePayload.NonceSize);
        var key = AgePayload.Key(fileKey, nonce);
        CryptographicOperations.ZeroMemory(fileKey);
        _aead = new Aead(key);
        CryptographicOperations.ZeroMemory(key);
        _pending = new byte[header.Length + nonce.Length];
        header.CopyTo(_pending, 0);
        nonce.CopyTo(_pending, header.Length);
        _pendingLength = _pending.Length;
        _sha.AppendData(_pending);
    }

    /// <summary>Plaintext bytes read so far (progress).</summary>
    public long PlaintextRead => _plainRead;

    /// <summary>True once every stored byte has been produced; StoredSha256 and StoredSize are final only then.</summary>
    public bool Complete => _storedSha256 != null;
    public string StoredSha256 => _storedSha256 ?? throw new InvalidOperationException("The stored bytes were not all read.");
    public long StoredSize => Complete ? _stored : throw new InvalidOperationException("The stored bytes were not all read.");

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        while (_served == _pendingLength)
        {
            if (_done)
            {
                _storedSha256 ??= Convert.ToHexString(_sha.GetHashAndReset()).ToLowerInvariant();
                return 0;
            }
            SealNext();
        }
        int n = Math.Min(buffer.Length, _pendingLength - _served);
        _pending.AsSpan(_served, n).CopyTo(buffer);
        _served += n;
        _stored += n;
        return n;
    }

    void SealNext()
    {
        int filled = _chunks.Next(_plainChunk, out bool last);
        _plainRead += filled;
        AgePayload.ChunkNonce(_nonce, _index++, last);
        _aead.Seal(_nonce, _plainChunk.AsSpan(0, filled), _out);
        _pending = _out;
        _pendingLength = filled + Aead.TagSize;
        _served = 0;
        _sha.AppendData(_out, 0, _pendingLength);
        _done = last;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aead.Dispose();
            _sha.Dispose();
            CryptographicOperations.ZeroMemory(_plainChunk);
            if (!_leaveOpen) _plain.Dispose();
        }
        base.Dispose(disposing);
    }
}
