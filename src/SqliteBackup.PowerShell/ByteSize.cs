namespace SqliteBackup.PowerShell;

/// <summary>Human sizes for table views; the objects themselves keep bytes so filters like `Size -lt 1KB` work.</summary>
public static class ByteSize
{
    public static string Format(long bytes) => Core.Reporting.HumanSize.Format(bytes);
}
