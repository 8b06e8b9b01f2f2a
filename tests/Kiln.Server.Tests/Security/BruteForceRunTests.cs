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
        // The check and the count are not one atomic step, so requests already in flight when the limit is reached
        // are still evaluated: at most one extra per request in flight.
        Assert.True(evaluated >= limits.MaxFailuresPerClient && evaluated <= limits.MaxFailuresPerClient + InFlight, counts);
        Assert.True(legitOk > 0, "the legitimate client made no requests during the attack: " + counts);

        _clock.Advance(limits.Window + TimeSpan.FromSeconds(1));
        using var after = await AttemptAsync(attacker, victim.ClientId, victim.ClientSecret);
        Assert.Equal(200, (int)after.StatusCode);
        var token = (await after.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        Assert.False(string.IsNullOrEmpty(token));
    }
}
