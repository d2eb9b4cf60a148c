namespace SqliteBackup.Core.Retention;

/// <summary>The decisions for one group (one database) of a multi-database rotation.</summary>
internal sealed record RetentionGroupPlan<TKey>(TKey Key, IReadOnlyList<RetentionDecision> Decisions);
