using Microsoft.Extensions.Logging;

namespace Kiln.Client.Internal;

/// <summary>
/// Every log event of the library (docs/client.md#logging-and-tracing). Client ids, scopes, indexes and request ids only:
/// never a secret or a token.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Debug, "Requesting a token for client {ClientId} (scopes {Scopes})")]
    public static partial void FetchingToken(ILogger logger, string clientId, string scopes);

    [LoggerMessage(1002, LogLevel.Information, "Token issued for client {ClientId} (scopes {Scopes}) by secret #{SecretIndex}, expires {ExpiresAt:O}")]
    public static partial void TokenIssued(ILogger logger, string clientId, string scopes, int secretIndex, DateTimeOffset expiresAt);

    [LoggerMessage(1003, LogLevel.Debug, "Renewing the token of client {ClientId} (scopes {Scopes}) in the background ahead of its expiry {ExpiresAt:O}")]
    public static partial void RefreshingAhead(ILogger logger, string clientId, string scopes, DateTimeOffset expiresAt);

    [LoggerMessage(1004, LogLevel.Warning, "Token request for client {ClientId} (scopes {Scopes}) failed: {Error} (HTTP {Status}) {Description}; next attempt in {Backoff} (x-request-id {RequestId})")]
    public static partial void TokenFailed(ILogger logger, string clientId, string scopes, string? error, int status, string? description, TimeSpan backoff, string? requestId);

    [LoggerMessage(1005, LogLevel.Warning, "IMS rejected secret #{FromIndex} of client {ClientId}; trying secret #{ToIndex}")]
    public static partial void SecretRejected(ILogger logger, string clientId, int fromIndex, int toIndex);

    [LoggerMessage(1006, LogLevel.Warning, "Client {ClientId} now uses secret #{ToIndex} instead of #{FromIndex} ({Reason})")]
    public static partial void SecretFallback(ILogger logger, string clientId, int fromIndex, int toIndex, string? reason);

    [LoggerMessage(1007, LogLevel.Information, "Every configured secret of client {ClientId} was rejected; trying the one in the secret store")]
    public static partial void TryingStoredSecret(ILogger logger, string clientId);

    [LoggerMessage(2001, LogLevel.Information, "Retrying {Method} {Path} (attempt {Attempt}) in {Delay}: {Outcome}")]
    public static partial void Retrying(ILogger logger, string method, string path, int attempt, TimeSpan delay, string outcome);

    [LoggerMessage(3001, LogLevel.Warning, "Status poll {Failed} of job {JobId} failed, still waiting: {Reason}")]
    public static partial void JobPollFailed(ILogger logger, string jobId, int failed, string reason);

    [LoggerMessage(3002, LogLevel.Debug, "Job {JobId} is {Status} ({Percent}%)")]
    public static partial void JobPolled(ILogger logger, string jobId, FireflyJobState status, double? percent);

    [LoggerMessage(3003, LogLevel.Information, "Job {JobId} ended as {Status} after {Elapsed}")]
    public static partial void JobEnded(ILogger logger, string jobId, FireflyJobState status, TimeSpan elapsed);

    [LoggerMessage(4001, LogLevel.Information, "Secret rotation of credential {CredentialId}: {Step} {Status}: {Message}")]
    public static partial void RotationStep(ILogger logger, string credentialId, RotationStepKind step, RotationStepStatus status, string message);
}

/// <summary>The library's <see cref="System.Diagnostics.ActivitySource"/>, named <c>Kiln.Client</c>.</summary>
internal static class KilnDiagnostics
{
    public static readonly System.Diagnostics.ActivitySource Source = new("Kiln.Client", typeof(KilnDiagnostics).Assembly.GetName().Version?.ToString());
}
