namespace SqliteBackup.Core.Jobs;

/// <summary>
/// One thing a job run would do (or fail at), for -WhatIf: <paramref name="Action"/> on <paramref name="Target"/> (a path,
/// or a database name). <paramref name="WouldFail"/>: the run would fail for this database, and Action says why.
/// </summary>
public sealed record JobPlanStep(string Database, string Target, string Action, bool WouldFail = false);
