using System.Globalization;

namespace SqliteBackup.PowerShell;

/// <summary>Human sizes for table views; the objects themselves keep bytes so filters like `Size -lt 1KB` work.</summary>
public static class ByteSize
{
    static readonly string[] Units = ["B", "KB", "MB", "GB", "TB"];

    public static string Format(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
