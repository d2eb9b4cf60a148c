using System.Management.Automation;
using System.Runtime.ExceptionServices;
using SqliteBackup.Core;
using SqliteBackup.Core.Guard;
using SqliteBackup.Core.Notifications;
using SqliteBackup.Core.Backups;
using SqliteBackup.Core.Format;
using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Logging;

namespace SqliteBackup.PowerShell;

/// <summary>
/// Runs a script block (a migration, a bulk import, a repair) only after a verified backup of each database, and on
/// failure restores those backups when asked; the script block's own error is then rethrown unchanged. The work is
/// Core's <see cref="OperationGuard"/>; here are only the script block, -WhatIf, the alert and the error record.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "SqliteBackupGuard", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(GuardResult))]
public sealed class InvokeSqliteBackupGuardCommand : NotifyingCmdlet
{
    private protected override Microsoft.Extensions.Logging.EventId FailureEvent => BackupEvents.GuardedOperationNotRun;

    const string PathSet = "Path";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [Alias("FullName", "Database")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNull]
    public ScriptBlock ScriptBlock { get; set; } = null!;

    /// <summary>Where the backups go (by default 'backups' beside each database). The one name for the backup location.</summary>
    [Parameter]
    [Alias("Destination", "BackupDirectory")]
    [ValidateNotNullOrEmpty]
    public string? BackupPath { get; set; }

    [Parameter]
    [ValidateSet("PreMigration", "Manual", "Automatic", "Shutdown")]
    public BackupType Type { get; set; } = BackupType.PreMigration;

    [Parameter] public SwitchParameter RestoreOnFailure { get; set; }
    [Parameter] public SwitchParameter ExpectSchemaChange { get; set; }

    /// <summary>What the script block does, for the backup log and alerts ("migration 0042").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter] public CompressionKind Compression { get; set; } = CompressionKind.Zstd;
    [Parameter] [ValidateNotNull] public string[] Tag { get; set; } = [];
    [Parameter] [ValidateRange(0, 86400)] public int BusyTimeoutSec { get; set; } = 30;
    [Parameter] [ValidateNotNullOrEmpty] public string? ScratchPath { get; set; }
    [Parameter] public SwitchParameter AllowInsecureDirectory { get; set; }

    protected override void EndProcessing()
    {
        // A wildcard that matches nothing is an error before anything runs: the operation would run unprotected on what it meant.
        bool literal = ParameterSetName == LiteralPathSet;
        var databases = ExpandPaths(literal ? LiteralPath : Path, literal, out var pathErrors);
        if (pathErrors.Count > 0)
        {
            NotifyFailure(NotificationMessage.ForFailure(BackupEvents.GuardedOperationNotRun, pathErrors[0].Target ?? "", pathErrors[0]));
            foreach (var e in pathErrors.Skip(1)) WriteError(ErrorRecords.From(e));
            ThrowTerminatingError(ErrorRecords.From(pathErrors[0]));
        }
        var request = new GuardRequest(databases.Select(d => d.Path).ToList())
        {
            Destination = BackupPath == null ? null : ResolvePath(BackupPath),
            Type = Type,
            Compression = Compression,
            RestoreOnFailure = RestoreOnFailure,
            ExpectSchemaChange = ExpectSchemaChange,
            Operation = Name != null ? $"'{Name}'" : "the guarded script block",
            Tags = Tag,
            BusyTimeout = TimeSpan.FromSeconds(BusyTimeoutSec),
            AllowInsecureDirectory = AllowInsecureDirectory,
            ScratchPath = ScratchPath == null ? null : ResolvePath(ScratchPath),
        };
        if (!ShouldProcess($"Back up {string.Join(", ", request.Databases)} ({Type}), then run {request.Operation}" + (RestoreOnFailure ? "; restore them if it fails." : "."),
                $"Back up {request.Databases.Count} database(s) and run {request.Operation}?", "Invoke-SqliteBackupGuard", out var reason))
        {
            if (reason == ShouldProcessReason.WhatIf) Preview(request);
            return;
        }

        var result = new OperationGuard(dir => LoggerWithBackupLog(dir, AllowInsecureDirectory)).Run(request, RunScriptBlock, Progress, Cancellation);
        WriteObject(result);
        switch (result.Outcome)
        {
            case GuardOutcome.NotRun:
                NotifyFailure(NotificationMessage.ForGuard(request, result));
                ThrowTerminatingError(ErrorRecords.From(result.Error!));
                return;
            case GuardOutcome.Failed:
                NotifyFailure(NotificationMessage.ForGuard(request, result));
                foreach (var d in result.Databases.Where(d => d.RestoreError != null)) WriteError(ErrorRecords.From(d.RestoreError!));
                Rethrow(result.OperationError!);
                return;
        }

        foreach (var d in result.Databases.Where(d => result.SchemaUnchanged.Contains(d.Database)))
        {
            var error = BackupErrors.SchemaNotChanged(d.Path, request.Operation, $"user_version {d.SchemaBefore?.UserVersion}, schema {d.SchemaBefore?.SchemaHash[..12]}");
            NotifyFailure(NotificationMessage.ForFailure(BackupEvents.SchemaChangeChecked, d.Database, error));
            WriteError(ErrorRecords.From(error));
        }
        if (result.SchemaUnchanged.Count == 0)
            NotifySuccess(() => NotificationMessage.ForGuard(request, result));
    }

    /// <summary>
    /// Inside the script block every error stops it, a native program's non-zero exit included: a migration that
    /// reports an error and carries on is exactly the half-applied state the guard is for. The block runs in a scope of
    /// its own under the caller's, so it sees the caller's variables and leaves the caller's preferences alone.
    /// A script the block calls can escape both rules: its own $ErrorActionPreference = 'Continue' turns its errors
    /// (a failing native program's among them) into written errors, and its 'exit N' only sets $LASTEXITCODE. So every
    /// error written during the block, and a $LASTEXITCODE left non-zero at its end, count as failures too.
    /// </summary>
    IReadOnlyList<object?> RunScriptBlock()
    {
        var strict = ScriptBlock.Create("""
            param($__sqlitebackupOperation)
            $ErrorActionPreference = 'Stop'; $PSNativeCommandUseErrorActionPreference = $true; $global:LASTEXITCODE = 0
            & { [CmdletBinding()] param($op) & $op } $__sqlitebackupOperation -ErrorVariable __sqlitebackupErrors
            if ($__sqlitebackupErrors.Count -gt 0) { throw $__sqlitebackupErrors[0] }
            """);
        string operation = Name != null ? $"'{Name}'" : "the guarded script block";
        List<object?> output;
        // 'exit N' written in the block itself would end the whole host with no result and no restore: it is the block's
        // exit code instead, a failure when it is not 0.
        try { output = InvokeCommand.InvokeScript(true, strict, null, ScriptBlock).Select(o => o?.BaseObject is PSCustomObject ? o : o?.BaseObject).ToList(); }
        catch (ExitException e)
        {
            int exit = LanguagePrimitives.TryConvertTo(e.Argument, out int n) ? n : 1;
            if (exit != 0) throw BackupErrors.GuardedOperationExitCode(operation, exit);
            return [];
        }
        if (SessionState.PSVariable.GetValue("global:LASTEXITCODE") is int code and not 0)
            throw BackupErrors.GuardedOperationExitCode(operation, code);
        return output;
    }

    /// <summary>The script block's own error, as it was: its ErrorRecord (ErrorId, category, message), or its exception.</summary>
    void Rethrow(Exception e)
    {
        if (e is IContainsErrorRecord { ErrorRecord: { } record } && e is not PipelineStoppedException)
            ThrowTerminatingError(record);
        if (e is SqliteBackupException ours)
            ThrowTerminatingError(ErrorRecords.From(ours));
        ExceptionDispatchInfo.Capture(e).Throw();
    }

    void Preview(GuardRequest request)
    {
        foreach (var db in request.Databases)
            ShouldProcess(db, $"Back up as {request.Type} to '{request.BackupOf(db).ResolveDestination()}' and verify it (Standard); if that fails, stop without running anything");
        ShouldProcess(request.Operation, "Run the script block (any error, or a native program's non-zero exit, counts as a failure)");
        foreach (var db in request.Databases)
            ShouldProcess(db, request.RestoreOnFailure
                ? "If the script block fails: restore the backup just taken (the failed state is kept as a PreRestore backup), then rethrow its error"
                : "If the script block fails: leave the database as the script left it and rethrow its error (-RestoreOnFailure would restore the backup)");
        if (request.ExpectSchemaChange)
            ShouldProcess(request.Operation, "Check that PRAGMA user_version or the schema changed, and record it in the backup log");
    }
}
