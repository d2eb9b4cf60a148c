namespace SqliteBackup.Core.Backups;

/// <summary>A progress report; the shell turns these into Write-Progress, so they are raised on the caller's thread.</summary>
/// <param name="Level">0 for a whole job, 1 for one operation inside it; a shell shows the two as nested progress bars.</param>
/// <param name="SecondsRemaining">A transfer's estimate of the time left; -1 when there is none.</param>
public readonly record struct BackupProgress(string Activity, string Status, int PercentComplete, bool Completed = false, int Level = 1, int SecondsRemaining = -1);
