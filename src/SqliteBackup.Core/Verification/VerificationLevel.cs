namespace SqliteBackup.Core.Verification;

/// <summary>
/// How hard a verification looks. Each level includes the checks of the levels before it.
/// Quick: the stored file is present and its size and SHA-256 match the manifest.
/// Standard: it also decompresses and opens, and PRAGMA quick_check passes.
/// Full: also integrity_check, foreign_key_check, row counts against the manifest and an optional user query.
/// </summary>
public enum VerificationLevel
{
    None,
    Quick,
    Standard,
    Full,
}
