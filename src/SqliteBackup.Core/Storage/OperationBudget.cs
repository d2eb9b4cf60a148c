using System.Diagnostics;

namespace SqliteBackup.Core.Storage;

/// <summary>
/// What is left of one store operation's total limit (<see cref="StoreOptions.Timeout"/>, with all its retries), where
/// the SDKs' retry policies can see it: a retry is started only when its attempt could still finish within it (one
/// request's limit), and its backoff is cut short so that it can. A retry that would
/// be cut off part-way by the total limit only hides the error the last attempt gave behind a cancellation.
/// </summary>
/// <para>
/// Flows with the operation's async calls (an <see cref="AsyncLocal{T}"/>), set by the stores' Run around each operation
/// that has a total limit; a transfer has none, so its retries are bounded by their count only.
/// </para>
internal sealed class OperationBudget : IDisposable
{
    static readonly AsyncLocal<OperationBudget?> CurrentBudget = new();

    readonly long _end;
    readonly OperationBudget? _outer;

    readonly bool _ambient;

    OperationBudget(TimeSpan total, TimeSpan attempt, bool ambient)
    {
        Attempt = attempt;
        _end = Stopwatch.GetTimestamp() + (long)(total.TotalSeconds * Stopwatch.Frequency);
        _ambient = ambient;
        if (!ambient) return;
        _outer = CurrentBudget.Value;
        CurrentBudget.Value = this;
    }

    /// <summary>The operation's budget, current until disposed.</summary>
    /// <param name="attempt">How long one attempt of its requests may take (the request limit).</param>
    public static OperationBudget Begin(TimeSpan total, TimeSpan attempt) => new(total, attempt, ambient: true);

    /// <summary>
    /// A budget only its owner asks (<see cref="Allows"/>, <see cref="FitBackoff"/>): for retries a store makes itself
    /// around an operation that may run a transfer, during which another store's retries must not see it.
    /// </summary>
    public static OperationBudget Own(TimeSpan total, TimeSpan attempt) => new(total, attempt, ambient: false);

    /// <summary>How long one attempt may take.</summary>
    public TimeSpan Attempt { get; }

    /// <summary>The innermost operation running in this flow; null outside one (a transfer).</summary>
    public static OperationBudget? Current => CurrentBudget.Value;

    public TimeSpan Left => TimeSpan.FromSeconds(Math.Max(0, _end - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);

    /// <summary>Set once a retry was not started for want of time: the error says so.</summary>
    public bool RetryRefused { get; private set; }

    /// <summary>
    /// What an attempt needs beyond its own limit: the client's work around the request, so that an attempt that runs
    /// to its limit still ends before the total limit, rather than racing it. 0.1 s was too little on a loaded 2-core
    /// machine: the SDK noticed a timed-out attempt after the total limit had cancelled the operation, and the error
    /// said "cancelled" instead of why no further attempt was made.
    /// </summary>
    static readonly TimeSpan Margin = TimeSpan.FromSeconds(0.25);

    /// <summary>Whether another attempt can start now and finish in time (always, outside an operation).</summary>
    public static bool AllowsAttempt() => Current is not { } budget || budget.Allows();

    /// <summary>Whether another attempt can start now and finish in time; a refusal is remembered for the message.</summary>
    public bool Allows()
    {
        if (Left >= Attempt + Margin) return true;
        RetryRefused = true;
        return false;
    }

    /// <summary>
    /// <paramref name="backoff"/>, shortened so that an attempt still fits after it: it was allowed
    /// (<see cref="AllowsAttempt"/>) on the grounds that it would.
    /// </summary>
    public static TimeSpan Fit(TimeSpan backoff) => Current is not { } budget ? backoff : budget.FitBackoff(backoff);

    /// <summary><paramref name="backoff"/>, shortened so that an attempt still fits after it.</summary>
    public TimeSpan FitBackoff(TimeSpan backoff)
    {
        var spare = Left - Attempt - Margin;
        return spare <= TimeSpan.Zero ? TimeSpan.Zero : backoff < spare ? backoff : spare;
    }

    public void Dispose()
    {
        if (_ambient) CurrentBudget.Value = _outer;
    }
}
