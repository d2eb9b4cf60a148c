using SqliteBackup.Core.Errors;
namespace SqliteBackup.Core.Scheduling;

/// <summary>The user's crontab, edited through the crontab program: our lines carry a marker, every other line stays as it was.</summary>
internal sealed class CronBackend(string crontabProgram = "crontab") : IScheduleBackend
{
    public SchedulerKind Kind => SchedulerKind.Cron;

    public string Read()
    {
        var (code, output, error) = ExternalCommand.Run(crontabProgram, ["-l"]);
        if (code == 0) return output;
        // "no crontab for <user>" is the empty crontab, not a failure.
        if (error.Contains("no crontab", StringComparison.OrdinalIgnoreCase)) return "";
        throw BackupErrors.SchedulerCommandFailed($"{crontabProgram} -l", crontabProgram, code, error, "Check that cron is installed and that you may use crontab.");
    }

    void Write(string text) => ExternalCommand.RunChecked(crontabProgram, ["-"], text);

    public void Register(ScheduleDefinition definition) => Write(CronTab.Upsert(Read(), definition));

    public bool Unregister(string name)
    {
        string before = Read();
        string after = CronTab.Remove(before, name);
        if (after == before) return false;
        // Our lines were all there was: leave no crontab, as before Register made one.
        if (after.Length == 0) ExternalCommand.RunChecked(crontabProgram, ["-r"]);
        else Write(after);
        return true;
    }

    public IReadOnlyList<RegisteredSchedule> List() => CronTab.Find(Read())
        .Select(f =>
        {
            var fields = f.Line.Split((char[]?)null, 6, StringSplitOptions.RemoveEmptyEntries);
            string? cron = fields.Length >= 6 ? string.Join(' ', fields[..5]) : null;
            string command = fields.Length >= 6 ? fields[5] : f.Line;
            int marker = command.LastIndexOf("# " + CronTab.MarkerPrefix, StringComparison.Ordinal);
            if (marker > 0) command = command[..marker].TrimEnd();
            return new RegisteredSchedule(f.Name, SchedulerKind.Cron, cron, command, "crontab");
        })
        .ToList();
}
