using System.Runtime.InteropServices;

namespace SqliteBackup.Core.Backups;

/// <summary>
/// A backup should not take CPU from the application it protects. On Linux scheduling is per thread and is inherited by
/// threads it creates (zstd's workers), so the thread that does a backup's bulk work (reading, hashing, compressing,
/// counting rows) puts itself in the SCHED_IDLE class: a thread of any normal process that wakes up (a writer committing)
/// preempts it at once, where a niced thread keeps the core until its slice ends (measured: a writer's p99 commit latency
/// during an incremental backup 2.2-3.0x alone at nice 10; see docs/benchmarks.md). On an otherwise idle machine it runs
/// as fast as before; on a saturated one it runs only in the gaps. The thread is dedicated and ends with the work, so
/// nothing else runs at this priority afterwards. Where SCHED_IDLE is refused, nice 10 as before; elsewhere a no-op.
/// </summary>
internal static partial class BackgroundPriority
{
    const int PrioProcess = 0;
    const int Nice = 10;
    const int SchedIdle = 5;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref int param);

    [LibraryImport("libc")]
    private static partial int sched_getscheduler(int pid);

    public static void LowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            int none = 0;
            if (sched_setscheduler(0, SchedIdle, ref none) != 0) setpriority(PrioProcess, gettid(), Nice);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>The calling thread runs in the SCHED_IDLE class (Linux only; for tests).</summary>
    internal static bool IsCurrentThreadIdleClass() => OperatingSystem.IsLinux() && sched_getscheduler(0) == SchedIdle;

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
