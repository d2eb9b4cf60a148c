using System.Security.Cryptography;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.Core.Encryption;

/// <summary>
/// Reads the plaintext of an age v1 file. The header is read, the file key unwrapped and the header MAC checked when it
/// is opened, so a wrong identity or a changed header fails before anything is read. Each 64 KiB chunk is authenticated
/// whole before any of its bytes is returned, and the end of the ciphertext must be the chunk sealed as the last one: a
/// ciphertext cut at any point, even between chunks, throws EncryptedDataDamaged instead of reading short (after the
/// intact chunks before the damage, so a consumer must treat what it read as unusable when a read throws).
/// </summary>
public sealed class AgeDecryptingStream : Stream
{
    readonly Stream _input;
    readonly AgePayload.Chunks _chunks;
    readonly bool _leaveOpen;
    readonly string _name;
    readonly Aead _aead;
    readonly byte[] _sealed = new byte[AgePayload.SealedChunkSize];
    readonly byte[] _plain = new byte[AgePayload.ChunkSize];
    readonly byte[] _nonce = new byte[Aead.NonceSize];
    int _plainLength, _served;
    ulong _index;
    bool _done;
    long _plainTotal;
    string? _endError;

    AgeDecryptingStream(Stream input, bool leaveOpen, string name, Aead aead)
    {
        _input = input;
        _chunks = new AgePayload.Chunks(input);
        _leaveOpen = leaveOpen;
        _name = name;
        _aead = aead;
    }

    /// <summary>
    /// Opens an age file for reading with the first identity that matches one of its stanzas.
    /// </summary>
    /// <param name="name">What the ciphertext is (a backup's path or location), for error messages.</param>
    /// <exception cref="SqliteBackupException">EncryptionWrongIdentity, EncryptedDataDamaged, EncryptionWorkFactorTooHigh, EncryptionIdentityMissing.</exception>
    public static AgeDecryptingStream Open(Stream ciphertext, IReadOnlyList<IAgeIdentity> identities, string name, bool leaveOpen = false)
    {
        byte[]? fileKey = null;
        try
        {
            var header = AgeHeader.Read(ciphertext);
            if (identities.Count == 0) throw BackupErrors.EncryptionIdentityMissing(name);
            bool passphraseFile = header.Stanzas.Any(s => s.Type == AgeScryptRecipient.StanzaType);
            if (passphraseFile && header.Stanzas.Count != 1) throw new AgeFormatException("a scrypt stanza is not the only stanza of the header");
            foreach (var identity in identities)
            {
                foreach (var stanza in header.Stanzas)
                    if ((fileKey = identity.TryUnwrap(stanza, header.Stanzas)) != null) break;
                if (fileKey != null) break;
            }
            if (fileKey == null)
                throw BackupErrors.EncryptionWrongIdentity(name, passphraseFile, header.Stanzas.Count(s => s.Type == AgeX25519Recipient.StanzaType));
            if (fileKey.Length != 16) throw new AgeFormatException("its file key is not 16 bytes");
            if (!CryptographicOperations.FixedTimeEquals(AgeHeader.Mac(fileKey, header.MacInput), header.Mac))
                throw new AgeFormatException("its header MAC does not verify (the header was changed)");
            var nonce = new byte[AgePayload.NonceSize];
            if (AgePayload.ReadFull(ciphertext, nonce) != nonce.Length) throw new AgeFormatException("it ends before its payload nonce");
            var key = AgePayload.Key(fileKey, nonce);
            var stream = new AgeDecryptingStream(ciphertext, leaveOpen, name, new Aead(key));
            CryptographicOperations.ZeroMemory(key);
            return stream;
        }
        catch (Exception e)
        {
            if (!leaveOpen) ciphertext.Dispose();
            if (e is AgeFormatException) throw BackupErrors.EncryptedDataDamaged(name, e.Message);
            throw;
        }
        finally
        {
            if (fileKey != null) CryptographicOperations.ZeroMemory(fileKey);
        }
    }

    /// <summary>Plaintext bytes returned so far.</summary>
    public long PlaintextRead => _plainTotal;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        while (_served == _plainLength)
        {
            if (_done) return 0;
            OpenNext();
        }
        int n = Math.Min(buffer.Length, _plainLength - _served);
        _plain.AsSpan(_served, n).CopyTo(buffer);
        _served += n;
        _plainTotal += n;
        return n;
    }

    void OpenNext()
    {
        if (_endError != null) throw BackupErrors.EncryptedDataDamaged(_name, _endError);
        int filled = _chunks.Next(_sealed, out bool last);
        if (filled == 0)
            throw BackupErrors.EncryptedDataDamaged(_name, _index == 0 ? "it ends right after its header (the payload is missing)" : "it ends between chunks without its last chunk (it was truncated)");
        if (filled < Aead.TagSize) throw BackupErrors.EncryptedDataDamaged(_name, $"it ends inside chunk {_index} (it was truncated)");
        AgePayload.ChunkNonce(_nonce, _index, last);
        if (!_aead.TryOpen(_nonce, _sealed.AsSpan(0, filled), _plain))
        {
            // A full chunk that opens with the other flag is intact, and so is what it holds; what is wrong is the end of
            // the ciphertext: cut after a middle chunk, or followed by data after the last one. Its plaintext is
            // released as the intact chunks before it were, and the next read fails (as age's reference reader does).
            AgePayload.ChunkNonce(_nonce, _index, !last);
            if (filled != _sealed.Length || !_aead.TryOpen(_nonce, _sealed.AsSpan(0, filled), _plain))
            {
                _plain.AsSpan().Clear();
                throw BackupErrors.EncryptedDataDamaged(_name, $"chunk {_index} does not authenticate (it was changed or cut short)");
            }
            _endError = last
                ? $"it ends after chunk {_index} without its last chunk (it was truncated)"
                : $"it has data after its last chunk (chunk {_index})";
            last = false;
        }
        _plainLength = filled - Aead.TagSize;
        if (last && _plainLength == 0 && _index > 0)
            throw BackupErrors.EncryptedDataDamaged(_name, "its last chunk is empty, which the format allows only for an empty file");
        _served = 0;
        _index++;
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
            CryptographicOperations.ZeroMemory(_plain);
            if (!_leaveOpen) _input.Dispose();
        }
        base.Dispose(disposing);
    }
}
