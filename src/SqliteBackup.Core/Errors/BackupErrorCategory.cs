namespace SqliteBackup.Core.Errors;

/// <summary>
/// The kind of failure. Member names match System.Management.Automation.ErrorCategory so a shell can map
/// them by name, without Core depending on PowerShell.
/// </summary>
public enum BackupErrorCategory
{
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    InvalidResult,
    ObjectNotFound,
    PermissionDenied,
    ReadError,
    ResourceBusy,
    ResourceExists,
    OperationTimeout,
    ResourceUnavailable,
    WriteError,
    SecurityError,
}
