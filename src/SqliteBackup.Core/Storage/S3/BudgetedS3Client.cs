using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using Amazon.S3.Internal;

namespace SqliteBackup.Core.Storage.S3;

/// <summary>
/// The SDK's S3 client with its standard retry policy kept for what is retried, and held to the operation's budget
/// (<see cref="OperationBudget"/>) for when: see <see cref="BudgetedRetryPolicy"/>.
/// </summary>
sealed class BudgetedS3Client : AmazonS3Client
{
    public BudgetedS3Client(AWSCredentials credentials, AmazonS3Config config) : base(credentials, config) { }

    /// <summary>The SDK's own credential chain, resolved when a request needs it.</summary>
    public BudgetedS3Client(AmazonS3Config config) : base(config) { }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.ReplaceHandler<RetryHandler>(new RetryHandler(new BudgetedRetryPolicy(Config)));
    }
}

/// <summary>
/// S3's standard retry policy (timeouts, dropped connections, 5xx and throttling; never the caller's 4xx), except that
/// within an operation's budget no retry starts whose attempt could not finish in what is left, and its backoff is cut
/// so that the attempt fits. Outside a budget (a transfer) the SDK's own backoff applies.
/// </summary>
sealed class BudgetedRetryPolicy(IClientConfig config) : AmazonS3StandardRetryPolicy(config)
{
    public override bool CanRetry(IExecutionContext executionContext) => base.CanRetry(executionContext) && OperationBudget.AllowsAttempt();

    public override void WaitBeforeRetry(IExecutionContext executionContext)
    {
        if (OperationBudget.Current == null) base.WaitBeforeRetry(executionContext);
        else Thread.Sleep(Backoff(executionContext));
    }

    public override Task WaitBeforeRetryAsync(IExecutionContext executionContext) =>
        OperationBudget.Current == null ? base.WaitBeforeRetryAsync(executionContext) : Task.Delay(Backoff(executionContext), executionContext.RequestContext.CancellationToken);

    /// <summary>Full jitter, as the SDK's: up to 0.5 s doubling per retry, at most 8 s (Azure's settings here), then fitted to the budget.</summary>
    TimeSpan Backoff(IExecutionContext executionContext)
    {
        return OperationBudget.Fit(Storage.Backoff.SdkCeiling(Math.Max(1, executionContext.RequestContext.Retries)) * Random.Shared.NextDouble());
    }
}
