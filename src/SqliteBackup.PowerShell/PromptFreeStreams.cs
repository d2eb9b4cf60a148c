using System.Management.Automation;
using System.Reflection;

namespace SqliteBackup.PowerShell;

/// <summary>
/// -Debug on a compiled cmdlet turns its debug, verbose and warning preferences into Inquire: every line would prompt,
/// and under -NonInteractive (cron, CI) the prompt fails the backup. -Debug must only add output, so the command's own
/// preferences are lowered from Inquire to Continue. PowerShell keeps them on its internal command runtime.
/// </summary>
internal static class PromptFreeStreams
{
    // The verbose preference has no setter: it follows the -Verbose flag, which -Debug implies.
    static readonly (string Preference, string Setter, object Value)[] Preferences =
    [
        ("DebugPreference", "DebugPreference", ActionPreference.Continue),
        ("VerbosePreference", "Verbose", true),
        ("WarningPreference", "WarningPreference", ActionPreference.Continue),
    ];

    /// <returns>False when a preference may still prompt (this PowerShell hides or refuses the setting).</returns>
    public static bool Apply(Cmdlet cmdlet)
    {
        var runtime = cmdlet.CommandRuntime;
        if (runtime == null) return true;
        bool ok = true;
        const BindingFlags Any = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        foreach (var (name, setter, value) in Preferences)
        {
            try
            {
                if (runtime.GetType().GetProperty(name, Any)?.GetValue(runtime) is not ActionPreference.Inquire) continue;
                var property = runtime.GetType().GetProperty(setter, Any);
                if (property is not { CanWrite: true }) { ok = false; continue; }
                property.SetValue(runtime, value);
                ok &= runtime.GetType().GetProperty(name, Any)?.GetValue(runtime) is not ActionPreference.Inquire;
            }
            catch (Exception e) when (e is ArgumentException or TargetInvocationException or MethodAccessException) { ok = false; }
        }
        return ok;
    }
}
