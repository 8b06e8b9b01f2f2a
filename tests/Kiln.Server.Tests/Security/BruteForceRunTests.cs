using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Ims;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Security;

/// <summary>
/// 10,000 wrong secrets against one client id from one address, 16 in flight, with the default limits; meanwhile a
/// legitimate client of another credential (another address) mints tokens. Frozen clock: the windows end only when
/// the test advances it.
/// </summary>
public sealed class BruteForceRunTests : IDisposable
{
    private const int Attempts = 10_000, InFlight = 16;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public BruteForceRunTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    private static Task<HttpResponseMessage> AttemptAsync(HttpClient http, string clientId, string secret, CancellationToken ct = default) =>
        http.PostAsync("/ims/token/v3", new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret)]), ct);

    /// <summary>
    /// A burst of wrong secrets all in flight at once, against a credential not yet cached: no more are evaluated than the
    /// limit allows. (Before attempts claimed their place first, every attempt of the burst was evaluated on PostgreSQL:
    /// all 64 passed the check while the first lookups were still waiting on the database.)
    /// </summary>
    [Fact]
    public async Task A_concurrent_burst_is_evaluated_no_more_than_the_limit()
    {
        _kiln.Start();
        var limits = _kiln.Services.GetRequiredService<IOptions<ImsOptions>>().Value.BruteForce;
        var victim = await _kiln.SeedCredentialAsync(); // not looked up yet: the first attempts wait on the database
        using var attacker = SourceAddress.ClientFrom("127.0.0.4", _kiln.BaseAddress);
        // Connections first, so that the burst arrives together.
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => attacker.GetAsync("/health/live")));
        var statuses = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            using var res = await AttemptAsync(attacker, victim.ClientId, "kiln_s2s_burst" + i);
            return (int)res.StatusCode;
        }));
        Assert.Equal(64, statuses.Count(s => s is 400 or 429));
        Assert.Equal(limits.MaxFailuresPerClient, statuses.Count(s => s == 400));
    }

    /// <summary>
    /// /ims/invalidate_token/v2 checks a client_secret too: anyone holding one of a client's tokens could guess its
    /// secrets there without limit (a side door around the token endpoint's windows). It now counts in the same windows.
    /// </summary>
    [Fact]
    public async Task Wrong_secrets_at_invalidate_count_in_the_same_windows_as_the_token_endpoint()
    {
        var victim = _kiln.Start();
        var limits = _kiln.Services.GetRequiredService<IOptions<ImsOptions>>().Value.BruteForce;
        var token = await _kiln.DemoTokenAsync();
        using var attacker = SourceAddress.ClientFrom("127.0.0.5", _kiln.BaseAddress);
        var statuses = new List<int>();
        for (var i = 0; i <= limits.MaxFailuresPerClient; i++)
        {
            using var res = await attacker.PostFormAsync("/ims/invalidate_token/v2", ("token", token), ("client_id", victim.ClientId), ("client_secret", "kiln_s2s_guess" + i));
            statuses.Add((int)res.StatusCode);
        }
        Assert.Equal([.. Enumerable.Repeat(400, limits.MaxFailuresPerClient), 429], statuses);
        // The token endpoint sees the same lock for that client.
        Assert.Equal(429, (int)(await AttemptAsync(_kiln.Http(), victim.ClientId, victim.ClientSecret)).StatusCode);
        _clock.Advance(limits.Window + TimeSpan.FromSeconds(1));
        Assert.Equal(200, (int)(await AttemptAsync(_kiln.Http(), victim.ClientId, victim.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task Ten_thousand_wrong_secrets_are_throttled_while_another_credential_keeps_working()
    {
        var victim = _kiln.Start();
        var limits = _kiln.Services.GetRequiredService<IOptions<ImsOptions>>().Value.BruteForce;
        var other = await _kiln.SeedCredentialAsync();
        using var attacker = SourceAddress.ClientFrom("127.0.0.2", _kiln.BaseAddress);
        using var legit = SourceAddress.ClientFrom("127.0.0.3", _kiln.BaseAddress);

        int evaluated = 0, throttled = 0, legitOk = 0;
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var attackOver = new CancellationTokenSource();
        var bystander = Task.Run(async () =>
        {
            while (!attackOver.IsCancellationRequested)
            {
                using var res = await AttemptAsync(legit, other.ClientId, other.Secret);
                if ((int)res.StatusCode == 200) legitOk++;
                else unexpected.Enqueue($"legitimate client got {(int)res.StatusCode}: {await res.Content.ReadAsStringAsync()}");
            }
        });

        await Parallel.ForEachAsync(Enumerable.Range(0, Attempts), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (i, ct) =>
        {
            using var res = await AttemptAsync(attacker, victim.ClientId, "kiln_s2s_guess" + i, ct);
            var body = await res.Content.ReadAsStringAsync(ct);
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString();
            switch ((int)res.StatusCode, error)
            {
                case (400, "invalid_client"):
                    Interlocked.Increment(ref evaluated);
                    break;
                case (429, "too_many_requests") when res.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 } wait && wait <= limits.Window:
                    Interlocked.Increment(ref throttled);
                    break;
                default:
                    unexpected.Enqueue($"attempt {i}: {(int)res.StatusCode} {res.Headers.RetryAfter} {body}");
                    break;
            }
        });
        // The right secret waits too while the client is locked: no oracle.
        Assert.Equal(429, (int)(await AttemptAsync(attacker, victim.ClientId, victim.ClientSecret)).StatusCode);
        await attackOver.CancelAsync();
        await bystander;

        Assert.True(unexpected.IsEmpty, string.Join('\n', unexpected.Take(20)));
        var counts = $"evaluated {evaluated}, throttled {throttled}, legitimate tokens {legitOk}";
        Assert.True(Attempts == evaluated + throttled, counts);
        // Each attempt claims its place in the window before it is evaluated: exactly the limit, however many are in flight.
        Assert.True(evaluated == limits.MaxFailuresPerClient, counts);
        Assert.True(legitOk > 0, "the legitimate client made no requests during the attack: " + counts);

        _clock.Advance(limits.Window + TimeSpan.FromSeconds(1));
        using var after = await AttemptAsync(attacker, victim.ClientId, victim.ClientSecret);
        Assert.Equal(200, (int)after.StatusCode);
        var token = (await after.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        Assert.False(string.IsNullOrEmpty(token));
    }
}
