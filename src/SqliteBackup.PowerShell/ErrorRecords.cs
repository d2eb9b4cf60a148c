using System.Management.Automation;
using SqliteBackup.Core.Errors;

namespace SqliteBackup.PowerShell;

internal static class ErrorRecords
{
    public static ErrorRecord From(SqliteBackupException e)
    {
        var category = Enum.TryParse<ErrorCategory>(e.Category.ToString(), out var c) ? c : ErrorCategory.NotSpecified;
        return new ErrorRecord(e, e.ErrorId, category, e.Target)
        {
            ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = e.RecommendedAction },
        };
    }

}
