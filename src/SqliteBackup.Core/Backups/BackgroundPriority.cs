using System.Runtime.InteropServices;

namespace SqliteBackup.Core.Backups;

/// <summary>
/// A backup should not take CPU from the application it protects. On Linux the nice value is per thread and is
/// inherited by threads it creates (zstd's workers), so the thread that compresses lowers its own priority; the
/// thread is dedicated and ends with the work, so nothing else runs niced afterwards. Elsewhere this is a no-op.
/// </summary>
internal static partial class BackgroundPriority
{
    const int PrioProcess = 0;
    const int Nice = 10;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();

    public static void LowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { setpriority(PrioProcess, gettid(), Nice); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>Runs <paramref name="work"/> on a new low-priority thread; the task completes with its outcome.</summary>
    public static Task Run(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            LowerCurrentThread();
            try
            {
                work();
                done.SetResult();
            }
            catch (OperationCanceledException e) { done.SetCanceled(e.CancellationToken); }
            catch (Exception e) { done.SetException(e); }
        })
        { IsBackground = true, Name = "SqliteBackup store" };
        thread.Start();
        return done.Task;
    }
}
