using SqliteBackup.Core.Storage;
using SqliteBackup.Core.Errors;
namespace SqliteBackup.Core.Scheduling;

/// <summary>
/// Windows Task Scheduler, through schtasks.exe /Create /XML (the task XML is golden-tested; registering cannot be
/// run on the Linux machines this is tested on). The XML files and the index are kept in %LOCALAPPDATA%\SqliteBackup.
/// </summary>
internal sealed class TaskSchedulerBackend(string? stateDirectory = null, string schtasks = "schtasks.exe") : IScheduleBackend
{
    public SchedulerKind Kind => SchedulerKind.TaskScheduler;

    public string StateDirectory { get; } = stateDirectory ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SqliteBackup", "tasks");

    public void Register(ScheduleDefinition definition)
    {
        string xml = Path.Combine(StateDirectory, definition.Name + ".xml");
        ScheduleIndex.WriteFile(xml, WindowsTaskScheduler.RenderTaskXml(definition, DateOnly.FromDateTime(DateTime.Today)), WindowsTaskScheduler.FileEncoding);
        ExternalCommand.RunChecked(schtasks, ["/Create", "/XML", xml, "/TN", WindowsTaskScheduler.TaskName(definition.Name), "/F"]);
        if (definition.BackupOnShutdown)
        {
            string shutdownXml = Path.Combine(StateDirectory, definition.Name + "-shutdown.xml");
            ScheduleIndex.WriteFile(shutdownXml, WindowsTaskScheduler.RenderShutdownTaskXml(definition), WindowsTaskScheduler.FileEncoding);
            ExternalCommand.RunChecked(schtasks, ["/Create", "/XML", shutdownXml, "/TN", WindowsTaskScheduler.ShutdownTaskName(definition.Name), "/F"]);
        }
        var index = ScheduleIndex.Read(StateDirectory);
        index[definition.Name] = (definition.Schedule.ToCron(), definition.Command.ToString());
        ScheduleIndex.Write(StateDirectory, index);
    }

    public IReadOnlyList<string> RegisterServiceStop(ServiceStopDefinition definition)
    {
        string xml = Path.Combine(StateDirectory, definition.Name + ".xml");
        ScheduleIndex.WriteFile(xml, WindowsTaskScheduler.RenderServiceStopTaskXml(definition), WindowsTaskScheduler.FileEncoding);
        try { ExternalCommand.RunChecked(schtasks, ["/Create", "/XML", xml, "/TN", WindowsTaskScheduler.TaskName(definition.Name), "/F"]); }
        catch (SqliteBackupException)
        {
            AtomicFile.TryDelete(xml);
            throw;
        }
        var services = ServiceStopIndex.Read(StateDirectory);
        services[definition.Name] = new ServiceStopEntry(definition.Service, definition.Command.ToString(), WindowsTaskScheduler.TaskName(definition.Name), CreatedFolder: false);
        ServiceStopIndex.Write(StateDirectory, services);
        return [];
    }

    public bool Unregister(string name)
    {
        var services = ServiceStopIndex.Read(StateDirectory);
        if (services.Remove(name))
        {
            ExternalCommand.Run(schtasks, ["/Delete", "/TN", WindowsTaskScheduler.TaskName(name), "/F"]);
            AtomicFile.TryDelete(Path.Combine(StateDirectory, name + ".xml"));
            ServiceStopIndex.Write(StateDirectory, services);
            return true;
        }
        var index = ScheduleIndex.Read(StateDirectory);
        if (!index.Remove(name)) return false;
        ExternalCommand.Run(schtasks, ["/Delete", "/TN", WindowsTaskScheduler.TaskName(name), "/F"]);
        ExternalCommand.Run(schtasks, ["/Delete", "/TN", WindowsTaskScheduler.ShutdownTaskName(name), "/F"]);
        AtomicFile.TryDelete(Path.Combine(StateDirectory, name + ".xml"));
        AtomicFile.TryDelete(Path.Combine(StateDirectory, name + "-shutdown.xml"));
        ScheduleIndex.Write(StateDirectory, index);
        return true;
    }

    public IReadOnlyList<RegisteredSchedule> List() => ScheduleIndex.Read(StateDirectory)
        .Select(kv => new RegisteredSchedule(kv.Key, SchedulerKind.TaskScheduler, kv.Value.Cron, kv.Value.Command, WindowsTaskScheduler.TaskName(kv.Key)))
        .Concat(ServiceStopIndex.Read(StateDirectory).Select(kv => ServiceStopIndex.ToSchedule(kv.Key, SchedulerKind.TaskScheduler, kv.Value)))
        .ToList();
}
