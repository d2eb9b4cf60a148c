using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace SqliteBackup.Core.Storage.Azure;

/// <summary>
/// Azure.Core's retry policy (what is retried stays its own: timeouts, dropped connections, 408, 429, 5xx), except that
/// within an operation's budget (<see cref="OperationBudget"/>) no retry starts whose attempt could not finish in what is
/// left, and its backoff is cut so that the attempt fits.
/// </summary>
sealed class BudgetedRetryPolicy(int maxRetries) : RetryPolicy(maxRetries, new FittedDelay())
{
    protected override bool ShouldRetry(HttpMessage message, Exception? exception) =>
        base.ShouldRetry(message, exception) && OperationBudget.AllowsAttempt();

    protected override async ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) =>
        await base.ShouldRetryAsync(message, exception).ConfigureAwait(false) && OperationBudget.AllowsAttempt();

    /// <summary>Exponential as before (0.5 s doubling per retry, ±20 % jitter, at most 8 s), fitted to the budget.</summary>
    sealed class FittedDelay() : DelayStrategy(TimeSpan.FromSeconds(8), 0)
    {
        protected override TimeSpan GetNextDelayCore(Response? response, int retryNumber) =>
            OperationBudget.Fit(Backoff.SdkCeiling(retryNumber) * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }
}
