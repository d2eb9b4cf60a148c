using System.Globalization;

namespace SqliteBackup.Core.Reporting;

/// <summary>Human sizes for tables and reports (binary units, invariant culture); the objects themselves keep bytes.</summary>
public static class HumanSize
{
    static readonly string[] Units = ["B", "KB", "MB", "GB", "TB"];

    public static string Format(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString(Math.Abs(value) < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
