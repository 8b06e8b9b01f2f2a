namespace Kiln.Client;

/// <summary>
/// The outcome of a token request, for the <c>TryGet</c> methods (<see cref="ServerToServerTokenProvider.TryGetTokenAsync"/>);
/// <see cref="ServerToServerTokenProvider.GetTokenAsync"/> throws <see cref="KilnAuthenticationException"/> instead. Protocol failures (an OAuth error body, a 429) and transport failures
/// (<c>transport_error</c>, so a background renewal can report them too) are failures here; misconfiguration throws.
/// A failure is never cached as a token.
/// </summary>
public sealed class TokenResult
{
    private TokenResult() { }

    /// <summary>True when <see cref="AccessToken"/> holds a usable token.</summary>
    public bool IsSuccess => AccessToken is not null;

    /// <summary>The bearer token, or null on failure.</summary>
    public string? AccessToken { get; private init; }

    /// <summary>When the token expires (from <c>expires_in</c>), by the provider's clock.</summary>
    public DateTimeOffset ExpiresAt { get; private init; }

    /// <summary>Which configured secret minted the token (0-based), or -1 when unknown.</summary>
    public int SecretIndex { get; private init; } = -1;

    /// <summary>The OAuth error code, e.g. <c>invalid_client</c>, <c>too_many_requests</c>, or <c>transport_error</c>.</summary>
    public string? Error { get; private init; }

    /// <summary>The OAuth error description, verbatim from the server.</summary>
    public string? ErrorDescription { get; private init; }

    /// <summary>The HTTP status of a failed request (0 when none was received).</summary>
    public int StatusCode { get; private init; }

    /// <summary>The <c>x-request-id</c> of the failed answer, when there was one.</summary>
    public string? RequestId { get; private init; }

    /// <summary>How long to wait before the next attempt (from <c>Retry-After</c> or the backoff), when known.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>Creates a success.</summary>
    /// <param name="accessToken">The token.</param>
    /// <param name="expiresAt">Its expiry.</param>
    /// <param name="secretIndex">The secret that minted it.</param>
    public static TokenResult Success(string accessToken, DateTimeOffset expiresAt, int secretIndex) =>
        new() { AccessToken = accessToken, ExpiresAt = expiresAt, SecretIndex = secretIndex };

    /// <summary>Creates a protocol failure.</summary>
    /// <param name="error">The OAuth error code.</param>
    /// <param name="description">The error description.</param>
    /// <param name="statusCode">The HTTP status (0 for none).</param>
    /// <param name="retryAfter">When to try again, if known.</param>
    /// <param name="requestId">The <c>x-request-id</c> of the answer, if any.</param>
    public static TokenResult Failure(string error, string? description, int statusCode = 0, TimeSpan? retryAfter = null, string? requestId = null) =>
        new() { Error = error, ErrorDescription = description, StatusCode = statusCode, RetryAfter = retryAfter, RequestId = requestId };

    internal TokenResult WithRetryAfter(TimeSpan? retryAfter) =>
        new() { Error = Error, ErrorDescription = ErrorDescription, StatusCode = StatusCode, RetryAfter = retryAfter, RequestId = RequestId };

    /// <summary>The token, or <see cref="KilnAuthenticationException"/> for a failure.</summary>
    public string EnsureSuccess() => AccessToken ?? throw new KilnAuthenticationException(this);

    /// <inheritdoc />
    public override string ToString() => IsSuccess ? $"token (secret #{SecretIndex}, expires {ExpiresAt:O})" : $"{Error}: {ErrorDescription}";
}

/// <summary>Raised when the provider switches to another configured secret after <c>invalid_client</c>.</summary>
/// <param name="FromIndex">The secret that was rejected.</param>
/// <param name="ToIndex">The secret now in use.</param>
/// <param name="Reason">The IMS error description for the rejected secret.</param>
public sealed record SecretFallbackEventArgs(int FromIndex, int ToIndex, string? Reason);

