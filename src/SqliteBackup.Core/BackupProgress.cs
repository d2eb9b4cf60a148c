namespace SqliteBackup.Core;

/// <summary>A progress report; the shell turns these into Write-Progress, so they are raised on the caller's thread.</summary>
public readonly record struct BackupProgress(string Activity, string Status, int PercentComplete, bool Completed = false);
