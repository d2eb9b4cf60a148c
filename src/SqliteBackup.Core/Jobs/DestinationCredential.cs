using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;

namespace SqliteBackup.Core.Jobs;

/// <summary>
/// Where a job destination's credential comes from, by name only: the configuration never holds a secret, so it can
/// be read by anyone who may read the job, shown by Get-SqliteBackupConfig, and named on a scheduled command line.
/// The environment variables are read when the job runs (a systemd EnvironmentFile=, a crontab's variables, a Windows
/// task's account); a profile is read from that account's own credential files (S3: ~/.aws/credentials and config).
/// </summary>
/// <param name="UserVariable">Holds the user: the S3 access key id, the Azure account, the SFTP user.</param>
/// <param name="SecretVariable">Holds the secret: the S3 secret access key, the Azure account key, the SFTP password or key passphrase.</param>
/// <param name="Profile">An AWS profile name (s3:// destinations), used when no secret variable is named.</param>
public sealed record DestinationCredential(string? UserVariable, string? SecretVariable, string? Profile)
{
    /// <summary>The store options for a run: variables read now; one that is named but unset fails this destination only.</summary>
    public StoreOptions Resolve(string location, StoreOptions options)
    {
        string? Read(string? variable)
        {
            if (variable == null) return null;
            string? value = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(value)) throw BackupErrors.StoreCredentialMissing(StoreText.Redact(location), variable);
            return value;
        }
        return options with { UserName = Read(UserVariable) ?? options.UserName, Secret = Read(SecretVariable), Profile = Profile };
    }

    public override string ToString() => string.Join(", ",
        new[] { UserVariable is { } u ? $"user from ${u}" : null, SecretVariable is { } s ? $"secret from ${s}" : null, Profile is { } p ? $"profile {p}" : null }
        .Where(x => x != null));
}
