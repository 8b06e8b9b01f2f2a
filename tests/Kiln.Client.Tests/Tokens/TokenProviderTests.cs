using Kiln.Client.Tests.Infrastructure;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Client.Tests.Tokens;

/// <summary>ServerToServerTokenProvider against a real Kiln, both on one fake clock.</summary>
public sealed class TokenProviderTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public TokenProviderTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Hundred_concurrent_callers_cause_exactly_one_token_request()
    {
        _kiln.Start();
        using var client = new ClientHarness(_kiln);
        var tokens = client.Tokens;

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => tokens.TryGetTokenAsync())));

        Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
        Assert.Single(results.Select(r => r.AccessToken).Distinct());
        Assert.Equal(1, client.TokenRequests.Count);
        Assert.Equal(["POST /ims/token/v3 -> 200"], client.TokenRequests.Entries);
    }

    [Fact]
    public async Task Valid_token_is_served_while_it_is_renewed_ahead_of_expiry_in_the_background()
    {
        _kiln.Start();
        using var client = new ClientHarness(_kiln, o => o.RefreshBeforeExpiry = TimeSpan.FromMinutes(5));
        var first = await client.Tokens.TryGetTokenAsync();
        Assert.True(first.IsSuccess, first.ToString());

        _clock.Advance(TimeSpan.FromHours(23) + TimeSpan.FromMinutes(50)); // outside the refresh window
        Assert.Equal(first.AccessToken, (await client.Tokens.TryGetTokenAsync()).AccessToken);
        Assert.Equal(1, client.TokenRequests.Count);

        _clock.Advance(TimeSpan.FromMinutes(7)); // 3 minutes left: inside the window, still valid
        var during = await client.Tokens.TryGetTokenAsync();
        Assert.Equal(first.AccessToken, during.AccessToken); // served at once, not after the renewal

        var renewed = await EventuallyAsync(async () =>
        {
            var t = await client.Tokens.TryGetTokenAsync();
            return t.AccessToken != first.AccessToken ? t : null;
        });
        Assert.Equal(2, client.TokenRequests.Count);
        Assert.True(renewed.ExpiresAt > first.ExpiresAt);
        Assert.Equal(2, client.TokenRequests.Count); // the renewed token is cached
    }

    [Fact]
    public async Task A_failure_is_never_cached_and_attempts_back_off_exponentially()
    {
        _kiln.Start();
        using var client = new ClientHarness(_kiln, o =>
        {
            o.ClientSecrets.Clear();
            o.ClientSecrets.Add("not-the-secret");
            o.FailureBackoff = TimeSpan.FromSeconds(1);
        });

        var failed = await client.Tokens.TryGetTokenAsync();
        Assert.False(failed.IsSuccess);
        Assert.Null(failed.AccessToken);
        Assert.Equal("invalid_client", failed.Error);
        Assert.Equal("invalid client_secret parameter", failed.ErrorDescription);
        Assert.Equal(1, client.TokenRequests.Count);

        var during = await client.Tokens.TryGetTokenAsync(); // inside the backoff: no request, no token
        Assert.False(during.IsSuccess);
        Assert.True(during.RetryAfter > TimeSpan.Zero);
        Assert.Equal(1, client.TokenRequests.Count);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await client.Tokens.TryGetTokenAsync()).IsSuccess);
        Assert.Equal(2, client.TokenRequests.Count); // asked again: the failure was not cached

        _clock.Advance(TimeSpan.FromSeconds(1)); // the second backoff is 2 s
        Assert.False((await client.Tokens.TryGetTokenAsync()).IsSuccess);
        Assert.Equal(2, client.TokenRequests.Count);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await client.Tokens.TryGetTokenAsync()).IsSuccess);
        Assert.Equal(3, client.TokenRequests.Count);

        client.Tokens.SetSecrets([_kiln.Demo.ClientSecret]);
        var ok = await client.Tokens.TryGetTokenAsync();
        Assert.True(ok.IsSuccess, ok.ToString());
        Assert.Equal(4, client.TokenRequests.Count);
    }

    [Fact]
    public async Task A_retry_that_wakes_a_timer_tick_before_the_backoff_ends_asks_again()
    {
        // The resilience pipeline waits out the backoff on a timer, which may fire a millisecond before the wall clock
        // reaches its end; that retry must not be answered with the cached failure (and a retry delay of under 1 ms).
        _kiln.Start();
        using var client = new ClientHarness(_kiln, o =>
        {
            o.ClientSecrets.Clear();
            o.ClientSecrets.Add("not-the-secret");
            o.FailureBackoff = TimeSpan.FromSeconds(1);
        });
        Assert.False((await client.Tokens.TryGetTokenAsync()).IsSuccess);
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.False((await client.Tokens.TryGetTokenAsync()).IsSuccess);
        Assert.Equal(1, client.TokenRequests.Count); // well inside the backoff: the cached failure

        _clock.Advance(TimeSpan.FromMilliseconds(499)); // 1 ms before its end
        var retried = await client.Tokens.TryGetTokenAsync();

        Assert.Equal("invalid_client", retried.Error); // IMS was asked again, and refused again
        Assert.Equal(2, client.TokenRequests.Count);
    }

    [Fact]
    public async Task A_429_is_honoured_for_as_long_as_Retry_After_says()
    {
        _kiln.With("Kiln:Ims:BruteForce:MaxFailuresPerClient", "2").Start();
        using var client = new ClientHarness(_kiln, o => { o.ClientSecrets.Clear(); o.ClientSecrets.Add("wrong"); });
        Assert.Equal("invalid_client", (await client.Tokens.TryGetTokenAsync()).Error);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("invalid_client", (await client.Tokens.TryGetTokenAsync()).Error); // the server now blocks this client id

        client.Tokens.SetSecrets([_kiln.Demo.ClientSecret]);
        var limited = await client.Tokens.TryGetTokenAsync();
        Assert.Equal("too_many_requests", limited.Error);
        Assert.Equal(429, limited.StatusCode);
        Assert.InRange(limited.RetryAfter!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        Assert.Equal(3, client.TokenRequests.Count);

        _clock.Advance(TimeSpan.FromSeconds(30)); // far past the 1 s backoff, still inside Retry-After
        var waiting = await client.Tokens.TryGetTokenAsync();
        Assert.False(waiting.IsSuccess);
        Assert.Equal(3, client.TokenRequests.Count);

        _clock.Advance(limited.RetryAfter.Value - TimeSpan.FromSeconds(30));
        var ok = await client.Tokens.TryGetTokenAsync();
        Assert.True(ok.IsSuccess, ok.ToString());
        Assert.Equal(4, client.TokenRequests.Count);
    }

    [Fact]
    public async Task Tokens_are_cached_per_scope_set()
    {
        _kiln.Start();
        using var client = new ClientHarness(_kiln);
        var firefly = await client.Tokens.TryGetTokenAsync("firefly_api, ff_apis");
        var io = await client.Tokens.TryGetTokenAsync(KilnFactory.IoScopes);
        Assert.Equal(firefly.AccessToken, (await client.Tokens.TryGetTokenAsync("firefly_api,ff_apis")).AccessToken);
        Assert.Equal(2, client.TokenRequests.Count);
        Assert.Equal("firefly_api,ff_apis", Jwt.Payload(firefly.AccessToken!).GetProperty("scope").GetString());
        Assert.Contains("manage_client_secrets", Jwt.Payload(io.AccessToken!).GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Form_body_is_percent_encoded()
    {
        _kiln.Start();
        using var client = new ClientHarness(_kiln, o => { o.ClientSecrets.Clear(); o.ClientSecrets.Add("a+b&c=d% e"); });
        // A raw-concatenating client would send a different secret; the server must see exactly these characters and
        // answer "invalid client_secret parameter" rather than a parse error.
        var r = await client.Tokens.TryGetTokenAsync("firefly_api, ff_apis");
        Assert.Equal("invalid client_secret parameter", r.ErrorDescription);
        var ok = await client.Tokens.TryRequestTokenAsync(_kiln.Demo.ClientSecret, "firefly_api, ff_apis");
        Assert.True(ok.IsSuccess, ok.ToString());
    }

    internal static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < until)
        {
            if (await probe() is { } v) return v;
            await Task.Delay(20);
        }
        throw new TimeoutException("condition not met within 15 s");
    }
}
