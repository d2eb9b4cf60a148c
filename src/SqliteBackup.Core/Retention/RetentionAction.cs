namespace SqliteBackup.Core.Retention;

public enum RetentionAction
{
    Keep,
    Remove,
}
