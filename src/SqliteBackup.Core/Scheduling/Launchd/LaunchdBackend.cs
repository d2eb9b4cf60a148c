using SqliteBackup.Core.Errors;
using SqliteBackup.Core.Storage;
namespace SqliteBackup.Core.Scheduling;

/// <summary>launchd LaunchAgents in ~/Library/LaunchAgents, loaded with launchctl. (Not runnable on the Linux machines this is tested on: the plist is golden-tested, this class only places it.)</summary>
internal sealed class LaunchdBackend(string? agentDirectory = null, string launchctl = "launchctl") : IScheduleBackend
{
    public SchedulerKind Kind => SchedulerKind.Launchd;

    public string AgentDirectory { get; } = agentDirectory ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "Library", "LaunchAgents");

    public void Register(ScheduleDefinition definition)
    {
        string plist = Path.Combine(AgentDirectory, Launchd.PlistFileName(definition.Name));
        if (File.Exists(plist)) ExternalCommand.Run(launchctl, ["unload", plist]);
        ScheduleIndex.WriteFile(plist, Launchd.RenderPlist(definition));
        var index = ScheduleIndex.Read(AgentDirectory);
        index[definition.Name] = (definition.Schedule.ToCron(), definition.Command.ToString());
        ScheduleIndex.Write(AgentDirectory, index);
        try { ExternalCommand.RunChecked(launchctl, ["load", "-w", plist]); }
        catch (SqliteBackupException)
        {
            Unregister(definition.Name);
            throw;
        }
    }

    public bool Unregister(string name)
    {
        string plist = Path.Combine(AgentDirectory, Launchd.PlistFileName(name));
        var index = ScheduleIndex.Read(AgentDirectory);
        bool any = index.Remove(name) | File.Exists(plist);
        if (!any) return false;
        if (File.Exists(plist)) ExternalCommand.Run(launchctl, ["unload", "-w", plist]);
        AtomicFile.TryDelete(plist);
        ScheduleIndex.Write(AgentDirectory, index);
        return true;
    }

    public IReadOnlyList<RegisteredSchedule> List() => ScheduleIndex.Read(AgentDirectory)
        .Select(kv => new RegisteredSchedule(kv.Key, SchedulerKind.Launchd, kv.Value.Cron, kv.Value.Command, Path.Combine(AgentDirectory, Launchd.PlistFileName(kv.Key))))
        .ToList();
}
