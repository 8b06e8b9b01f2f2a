using System.Diagnostics;
using Kiln.Client.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kiln.Client;

/// <summary>
/// OAuth server-to-server tokens from IMS, done right: cached per (client_id, scopes), renewed in the background
/// ahead of expiry while the valid token keeps being served, one request for any number of concurrent callers,
/// failures never cached as tokens but followed by a capped exponential backoff (or the server's <c>Retry-After</c>),
/// and fallback across several configured secrets. Every clock read goes through <see cref="KilnClientOptions.TimeProvider"/>.
/// Disposing it stops background renewals. Logs (category <c>Kiln.Client.ServerToServerTokenProvider</c>) never contain a secret or a token.
/// </summary>
public sealed class ServerToServerTokenProvider : IAsyncDisposable, IDisposable
{
    /// <summary>The name of the <see cref="HttpClient"/> used for token requests (add handlers to it through DI).</summary>
    public const string HttpClientName = "Kiln.Ims";

    private readonly Func<HttpClient> _http;
    private readonly KilnClientOptions _options;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private readonly ILogger _log;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private string[] _secrets;
    private int _current;

    private sealed class Entry(string scopes)
    {
        public readonly string Scopes = scopes;
        public TokenResult? Token;
        public DateTimeOffset RefreshAt;
        public Task<TokenResult>? Inflight;
        public int Failures;
        public DateTimeOffset NotBefore;
        public TokenResult? LastFailure;
    }

    /// <summary>Creates a provider that sends token requests through <paramref name="imsHttp"/>.</summary>
    /// <param name="imsHttp">The HTTP client for IMS (its base address is ignored; <see cref="KilnClientOptions.ImsBaseUrl"/> is used).</param>
    /// <param name="options">The client options.</param>
    /// <param name="logger">Where events go (token fetch, renewal, fallback, backoff); none when null.</param>
    public ServerToServerTokenProvider(HttpClient imsHttp, KilnClientOptions options, ILogger<ServerToServerTokenProvider>? logger = null)
        : this(() => imsHttp, options, logger) { }

    /// <summary>Creates a provider for dependency injection.</summary>
    /// <param name="factory">Supplies the <see cref="HttpClientName"/> client.</param>
    /// <param name="options">The client options.</param>
    /// <param name="logger">Where events go.</param>
    public ServerToServerTokenProvider(IHttpClientFactory factory, IOptions<KilnClientOptions> options, ILogger<ServerToServerTokenProvider>? logger = null)
        : this(() => (factory ?? throw new ArgumentNullException(nameof(factory))).CreateClient(HttpClientName), (options ?? throw new ArgumentNullException(nameof(options))).Value, logger) { }

    internal ServerToServerTokenProvider(Func<HttpClient> http, KilnClientOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _clock = options.TimeProvider;
        _secrets = [.. options.ClientSecrets];
        _log = logger ?? NullLogger.Instance;
    }

    private Uri ImsBase => _options.ImsBaseUrl ?? throw new InvalidOperationException("KilnClientOptions.ImsBaseUrl is not set: call UseKiln(baseUrl) or UseAdobe().");

    /// <summary>Which configured secret (0-based) mints tokens now.</summary>
    public int CurrentSecretIndex => Volatile.Read(ref _current);

    /// <summary>How many secrets are configured now.</summary>
    public int SecretCount => Volatile.Read(ref _secrets).Length;

    /// <summary>Raised when IMS rejected the secret in use and another configured secret took over.</summary>
    public event EventHandler<SecretFallbackEventArgs>? SecretFallback;

    /// <summary>Replaces the configured secrets (for example after a rotation stored a new one) and clears any backoff.</summary>
    /// <param name="secrets">The secrets, in order of preference.</param>
    public void SetSecrets(IEnumerable<string> secrets)
    {
        string[] list = [.. secrets.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal)];
        lock (_gate)
        {
            Volatile.Write(ref _secrets, list);
            Volatile.Write(ref _current, 0);
            foreach (var e in _entries.Values) { e.Failures = 0; e.NotBefore = default; e.LastFailure = null; }
        }
    }

    /// <summary>
    /// A token for <paramref name="scopes"/> (default <see cref="KilnClientOptions.Scopes"/>), or <see cref="KilnAuthenticationException"/>.
    /// Served from the cache while valid; inside the refresh window the cached token is returned and a renewal starts in the background.
    /// </summary>
    /// <param name="scopes">Comma-separated scopes, or null for the default.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only; a shared request keeps running for the others.</param>
    /// <exception cref="KilnAuthenticationException">No token could be obtained (status, error code and retry delay inside).</exception>
    public async Task<TokenResult> GetTokenAsync(string? scopes = null, CancellationToken cancellationToken = default)
    {
        var result = await GetAsync(scopes, null, cancellationToken).ConfigureAwait(false);
        result.EnsureSuccess();
        return result;
    }

    /// <summary>Like <see cref="GetTokenAsync"/>, but a failure is returned as a <see cref="TokenResult"/> instead of thrown.</summary>
    /// <param name="scopes">Comma-separated scopes, or null for the default.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    public Task<TokenResult> TryGetTokenAsync(string? scopes = null, CancellationToken cancellationToken = default) => GetAsync(scopes, null, cancellationToken);

    /// <summary>
    /// Forced renewal after a resource server rejected <paramref name="rejectedToken"/> with 401. If another caller already
    /// renewed it, the newer token is returned without a request. A failure is returned, not thrown.
    /// </summary>
    /// <param name="rejectedToken">The token that got 401 (null renews unconditionally).</param>
    /// <param name="scopes">Comma-separated scopes, or null for the default.</param>
    /// <param name="cancellationToken">Cancels this caller's wait.</param>
    public Task<TokenResult> TryRenewAsync(string? rejectedToken, string? scopes = null, CancellationToken cancellationToken = default) =>
        GetAsync(scopes, rejectedToken ?? "", cancellationToken);

    /// <summary>Mints one token with the given secret, bypassing the cache (used to prove a new secret works). A failure is returned, not thrown.</summary>
    /// <param name="clientSecret">The secret to try.</param>
    /// <param name="scopes">Comma-separated scopes, or null for the default.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public Task<TokenResult> TryRequestTokenAsync(string clientSecret, string? scopes = null, CancellationToken cancellationToken = default) =>
        ImsTokenClient.MintAsync(_http(), ImsBase, _options.ClientId, clientSecret,
            HttpHelpers.CanonicalScopes(scopes ?? _options.Scopes), _clock, -1, cancellationToken);

    /// <summary>Stops background renewals; a later call fails with <see cref="ObjectDisposedException"/>.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops background renewals.</summary>
    public void Dispose()
    {
        if (_disposed.IsCancellationRequested) return;
        _disposed.Cancel();
        _disposed.Dispose();
    }

    private async Task<TokenResult> GetAsync(string? requestedScopes, string? rejected, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (_options.AccessToken is { Length: > 0 } fixedToken)
            return rejected == fixedToken
                ? TokenResult.Failure("invalid_token", "the configured access token was rejected and cannot be renewed", 401)
                : TokenResult.Success(fixedToken, DateTimeOffset.MaxValue, -1);
        var scopes = HttpHelpers.CanonicalScopes(requestedScopes ?? _options.Scopes);
        Task<TokenResult> wait;
        lock (_gate)
        {
            if (!_entries.TryGetValue(scopes, out var e)) _entries[scopes] = e = new Entry(scopes);
            var now = _clock.GetUtcNow();
            if (rejected is not null && (rejected.Length == 0 || e.Token?.AccessToken == rejected)) e.Token = null; // never serve a refused token
            if (e.Token is { } cached && now < UsableUntil(cached))
            {
                if (now >= e.RefreshAt && e.Inflight is null && now >= e.NotBefore)
                {
                    Log.RefreshingAhead(_log, _options.ClientId, scopes, cached.ExpiresAt);
                    e.Inflight = Start(e);
                }
                return cached;
            }
            e.Token = null;
            if (e.Inflight is null)
            {
                // A retry scheduled for the end of the backoff may wake a timer tick early: it asks again.
                if (now + TimerSlack < e.NotBefore && e.LastFailure is { } failed) return failed.WithRetryAfter(e.NotBefore - now);
                e.Inflight = Start(e);
            }
            wait = e.Inflight;
        }
        return await wait.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>How early a timer may fire against the wall clock: one tick (1 ms on Linux, 15.6 ms on Windows).</summary>
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(16);

    private DateTimeOffset UsableUntil(TokenResult t) =>
        t.ExpiresAt == DateTimeOffset.MaxValue ? t.ExpiresAt : t.ExpiresAt - TimeSpan.FromSeconds(Math.Min(30, _options.RefreshBeforeExpiry.TotalSeconds));

    private Task<TokenResult> Start(Entry e)
    {
        var stop = _disposed.Token;
        return Task.Run(() => FetchAsync(e, stop), CancellationToken.None);
    }

    private async Task<TokenResult> FetchAsync(Entry e, CancellationToken stop)
    {
        using var activity = KilnDiagnostics.Source.StartActivity("Kiln.Token", ActivityKind.Client);
        activity?.SetTag("kiln.client_id", _options.ClientId);
        activity?.SetTag("kiln.scopes", e.Scopes);
        Log.FetchingToken(_log, _options.ClientId, e.Scopes);
        TokenResult result;
        try { result = await MintWithFallbackAsync(e.Scopes, stop).ConfigureAwait(false); }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { result = TokenResult.Failure("client_error", "the token provider was disposed"); }
        catch (Exception ex) { result = TokenResult.Failure("client_error", ex.Message); }
        activity?.SetStatus(result.IsSuccess ? ActivityStatusCode.Ok : ActivityStatusCode.Error, result.Error);
        lock (_gate)
        {
            e.Inflight = null;
            var now = _clock.GetUtcNow();
            if (result.IsSuccess)
            {
                var lifetime = result.ExpiresAt - now;
                var ahead = TimeSpan.FromTicks(Math.Min(_options.RefreshBeforeExpiry.Ticks, lifetime.Ticks / 2));
                e.Token = result;
                e.RefreshAt = result.ExpiresAt - ahead;
                e.Failures = 0;
                e.NotBefore = default;
                e.LastFailure = null;
                Log.TokenIssued(_log, _options.ClientId, e.Scopes, result.SecretIndex, result.ExpiresAt);
            }
            else
            {
                e.Failures++;
                var exp = _options.FailureBackoff.Ticks * Math.Pow(2, Math.Min(e.Failures - 1, 20));
                var backoff = TimeSpan.FromTicks((long)Math.Min(exp, _options.MaxFailureBackoff.Ticks));
                if (result.RetryAfter is { } ra && ra > backoff) backoff = ra;
                e.NotBefore = now + backoff;
                e.LastFailure = result;
                result = result.WithRetryAfter(backoff);
                Log.TokenFailed(_log, _options.ClientId, e.Scopes, result.Error, result.StatusCode, result.ErrorDescription, backoff, result.RequestId);
            }
        }
        return result;
    }

    private async Task<TokenResult> MintWithFallbackAsync(string scopes, CancellationToken stop)
    {
        var secrets = Volatile.Read(ref _secrets);
        var start = Math.Clamp(CurrentSecretIndex, 0, Math.Max(0, secrets.Length - 1));
        TokenResult? last = null;
        for (var i = 0; i < secrets.Length; i++)
        {
            var idx = (start + i) % secrets.Length;
            var r = await ImsTokenClient.MintAsync(_http(), ImsBase, _options.ClientId, secrets[idx], scopes, _clock, idx, stop).ConfigureAwait(false);
            if (r.IsSuccess)
            {
                SwitchTo(secrets, idx, last?.ErrorDescription);
                return r;
            }
            if (!ImsTokenClient.SecretRejected(r)) return r;
            if (i + 1 < secrets.Length) Log.SecretRejected(_log, _options.ClientId, idx, (start + i + 1) % secrets.Length);
            last = r;
        }
        if (_options.SecretStore is { } store && await store.LoadAsync(stop).ConfigureAwait(false) is { Length: > 0 } stored && !secrets.Contains(stored))
        {
            var idx = secrets.Length;
            Log.TryingStoredSecret(_log, _options.ClientId);
            var r = await ImsTokenClient.MintAsync(_http(), ImsBase, _options.ClientId, stored, scopes, _clock, idx, stop).ConfigureAwait(false);
            if (r.IsSuccess)
            {
                string[] grown = [.. secrets, stored];
                lock (_gate) { if (ReferenceEquals(_secrets, secrets)) Volatile.Write(ref _secrets, grown); }
                SwitchTo(Volatile.Read(ref _secrets), Array.IndexOf(Volatile.Read(ref _secrets), stored), last?.ErrorDescription);
                return TokenResult.Success(r.AccessToken!, r.ExpiresAt, Array.IndexOf(Volatile.Read(ref _secrets), stored));
            }
            last = r;
        }
        return last ?? TokenResult.Failure("invalid_client", "no client secret is configured");
    }

    private void SwitchTo(string[] secrets, int idx, string? reason)
    {
        if (idx < 0 || !ReferenceEquals(Volatile.Read(ref _secrets), secrets)) return;
        var old = Interlocked.Exchange(ref _current, idx);
        if (old == idx) return;
        Log.SecretFallback(_log, _options.ClientId, old, idx, reason);
        SecretFallback?.Invoke(this, new SecretFallbackEventArgs(old, idx, reason));
    }
}
