namespace SqliteBackup.Core.Verification;

/// <summary>
/// What capturing a new backup already proved, so its Standard check need not write a decompressed copy. Either the raw
/// snapshot is on disk (the backup API's copy, hashed into RawSha256 as it was compressed) and SQLite checks it while the
/// stored file is decompressed and hashed in memory; or quick_check already ran through the snapshot itself, on the
/// pages that were read while the database file provably did not change, and only the decompression is left to prove.
/// </summary>
internal sealed record FreshCapture(string? RawCopy, Func<(bool Ok, string Message)>? SnapshotQuickCheck);
