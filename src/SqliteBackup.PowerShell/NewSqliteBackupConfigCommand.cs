using System.Management.Automation;
using System.Text.Json.Nodes;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Jobs;
using SqliteBackup.Core.Verification;

namespace SqliteBackup.PowerShell;

[Cmdlet(VerbsCommon.New, "SqliteBackupConfig", SupportsShouldProcess = true)]
[OutputType(typeof(BackupJobConfig))]
public sealed class NewSqliteBackupConfigCommand : SqliteBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Database { get; set; } = [];

    [Parameter] [Alias("BackupDirectory", "Destination")] [ValidateNotNullOrEmpty] public string? BackupPath { get; set; }
    /// <summary>The time of day of the daily backup (backup_time in the file).</summary>
    [Parameter] [Alias("BackupTime")] [ValidatePattern(@"^([01]?\d|2[0-3]):[0-5]\d$")] public string At { get; set; } = "02:00";
    [Parameter] public CompressionKind Compression { get; set; } = CompressionKind.Zstd;
    [Parameter] [Alias("Verification", "Verify", "Level")] [ValidateSet("Quick", "Standard", "Full")] public VerificationLevel VerificationLevel { get; set; } = VerificationLevel.Standard;
    // The retention counts carry Invoke-BackupRotation's names; -1 keeps every one (restic's "unlimited").
    [Parameter] [ValidateRange(-1, int.MaxValue)] public int KeepLast { get; set; }
    [Parameter] [ValidateRange(-1, int.MaxValue)] public int KeepHourly { get; set; }
    [Parameter] [Alias("RetentionDays")] [ValidateRange(-1, int.MaxValue)] public int KeepDaily { get; set; } = 30;
    [Parameter] [Alias("RetentionWeeks")] [ValidateRange(-1, int.MaxValue)] public int KeepWeekly { get; set; } = 12;
    [Parameter] [Alias("RetentionMonths")] [ValidateRange(-1, int.MaxValue)] public int KeepMonthly { get; set; } = 12;
    [Parameter] [ValidateRange(-1, int.MaxValue)] public int KeepYearly { get; set; }
    [Parameter] public SwitchParameter BackupOnShutdown { get; set; }
    /// <summary>Application services whose every stop takes a Shutdown backup once Register-BackupSchedule registers the configuration.</summary>
    [Parameter] [ValidateNotNullOrEmpty] public string[] Service { get; set; } = [];
    [Parameter] public SwitchParameter NoRestoreTest { get; set; }
    [Parameter] [ValidateNotNullOrEmpty] public string? LogFile { get; set; }
    [Parameter] [ValidateNotNullOrEmpty] public string? ScratchPath { get; set; }
    [Parameter] public SwitchParameter Force { get; set; }
    /// <summary>Writes "allow_insecure_directory": true: the job may use a backup or log folder others can write.</summary>
    [Parameter] public SwitchParameter AllowInsecureDirectory { get; set; }

    // "encryption": the job's keys by where they come from, never the keys themselves (the file is no place for a secret).
    /// <summary>Age public keys every backup is encrypted to (encryption.recipients).</summary>
    [Parameter] [ValidateNotNullOrEmpty] public string[]? Recipient { get; set; }
    /// <summary>The writer's identity file (encryption.identity_file): signs manifests, opens the job's backups.</summary>
    [Parameter] [ValidateNotNullOrEmpty] public string? IdentityFile { get; set; }
    /// <summary>The name of the variable holding the writer's identity (encryption.identity_env).</summary>
    [Parameter] [ValidateNotNullOrEmpty] public string? IdentityVariable { get; set; }
    /// <summary>The name of the variable holding the passphrase (encryption.passphrase_env).</summary>
    [Parameter] [ValidateNotNullOrEmpty] public string? PassphraseVariable { get; set; }
    /// <summary>A file readable by the job's user only holding the passphrase (encryption.passphrase_file).</summary>
    [Parameter] [ValidateNotNullOrEmpty] public string? PassphraseFile { get; set; }
    [Parameter] [ValidateNotNullOrEmpty] public string[]? TrustedWriter { get; set; }

    protected override void EndProcessing()
    {
        string file = ResolvePath(Path);
        string folder = System.IO.Path.GetDirectoryName(file)!;
        // Paths typed at the prompt are relative to the shell's location; in the file they are relative to the file.
        string Relative(string p)
        {
            string full = ResolvePath(p);
            string rel = System.IO.Path.GetRelativePath(folder, full);
            return rel.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(rel) ? full : "./" + rel.Replace('\\', '/');
        }
        List<string> databases = [];
        try { databases = DatabaseFiles(Database); }
        catch (SqliteBackupException e) { Fail(e); }
        var section = new JsonObject
        {
            ["enabled"] = true,
            ["automatic_daily"] = true,
            ["backup_time"] = At.Length == 4 ? "0" + At : At,
            ["backup_on_shutdown"] = BackupOnShutdown.IsPresent,
            // Unset means beside the configuration file, wherever the shell happens to be.
            ["backup_directory"] = BackupPath == null ? "./backups" : Relative(BackupPath),
            ["databases"] = new JsonArray(databases.Select(d => (JsonNode)JsonValue.Create(Relative(d))!).ToArray()),
            ["compression"] = Compression.ToString().ToLowerInvariant(),
            ["verification"] = VerificationLevel.ToString().ToLowerInvariant(),
            ["weekly_restore_test"] = !NoRestoreTest.IsPresent,
            ["retention_days"] = KeepDaily,
            ["retention_weeks"] = KeepWeekly,
            ["retention_months"] = KeepMonthly,
        };
        if (KeepLast != 0) section["retention_last"] = KeepLast;
        if (KeepHourly != 0) section["retention_hours"] = KeepHourly;
        if (KeepYearly != 0) section["retention_years"] = KeepYearly;
        if (Service.Length > 0) section["services"] = new JsonArray(Service.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());
        if (LogFile != null) section["log_file"] = Relative(LogFile);
        if (ScratchPath != null) section["scratch_directory"] = Relative(ScratchPath);
        if (AllowInsecureDirectory) section["allow_insecure_directory"] = true;
        if (Recipient != null || IdentityFile != null || IdentityVariable != null || PassphraseVariable != null || PassphraseFile != null || TrustedWriter != null)
            section["encryption"] = JobEncryption.ToSection(Recipient, IdentityFile is { } f ? Relative(f) : null, IdentityVariable,
                PassphraseVariable, PassphraseFile is { } p ? Relative(p) : null, TrustedWriter);
        try
        {
            // Checked as the job will read it before anything is written.
            var config = BackupJobConfigFile.FromSection(file, section, checkDatabases: false);
            if (!ShouldProcess(file, "Write the \"backup\" section of a backup configuration")) return;
            BackupJobConfigFile.Save(file, section, Force);
            foreach (var db in config.Databases.Where(d => !File.Exists(d)))
                WriteWarning(Directory.Exists(db)
                    ? $"'{db}' is a directory, not a database file; the job will fail for it. Name the database file in it."
                    : $"The database '{db}' does not exist yet; the job will fail for it until it does.");
            WarnAboutKeys(config);
            WriteObject(config);
        }
        catch (SqliteBackupException e) { Fail(e); }
    }
}
