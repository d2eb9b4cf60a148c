using System.Management.Automation;
using SqliteBackup.Core.Retention;

namespace SqliteBackup.PowerShell;

/// <summary>Lets -KeepWithin* take restic's '1y2m3d4h' form or a TimeSpan (whole hours), and says what is wrong otherwise.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RetentionDurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        try
        {
            return value switch
            {
                null => null,
                RetentionDuration d => d,
                TimeSpan t => RetentionDuration.FromTimeSpan(t),
                // PowerShell reads an unquoted 30d as the decimal literal 30 (the d suffix means decimal), so a decimal means days.
                decimal m when m == decimal.Truncate(m) && m >= 0 && m <= int.MaxValue => new RetentionDuration(0, 0, (int)m, 0),
                string s => RetentionDuration.Parse(s),
                _ => throw new FormatException($"'{value}' is a {value.GetType().Name}."),
            };
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new ArgumentTransformationMetadataException(
                $"'{value}' is not a retention duration: {e.Message} Use restic's form such as '30d', '1y6m' or '2d12h', or a TimeSpan of whole hours.", e);
        }
    }
}
