using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Catalog;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.Core.Tests.Storage;

/// <summary>Quick verification of a remote backup as Test-SqliteBackup runs it: through its own store, recorded there.</summary>
static class RemoteQuick
{
    public static VerificationResult Verify(BackupInfo remote, Action<BackupProgress>? progress = null)
    {
        using var store = remote.OpenStore();
        return new BackupVerifier(new ListLogger()).Verify(remote, store, VerificationLevel.Quick, null, progress);
    }
}
