using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Ims;

/// <summary>Wrong-secret attempts are limited per client id and per source address; others keep working.</summary>
public sealed class BruteForceTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public BruteForceTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    private static Task<HttpResponseMessage> AttemptAsync(HttpClient http, string clientId, string secret) =>
        http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret));

    [Fact]
    public async Task Client_under_attack_is_throttled_while_another_client_is_unaffected()
    {
        _kiln.With("Kiln:Ims:BruteForce:MaxFailuresPerClient", "5").With("Kiln:Ims:BruteForce:MaxFailuresPerAddress", "1000").Start();
        var other = await _kiln.SeedCredentialAsync();
        var attacker = _kiln.Http();
        for (var i = 0; i < 5; i++)
            await HttpAssert.OAuthErrorAsync(await AttemptAsync(attacker, _kiln.Demo.ClientId, "wrong" + i), 400, "invalid_client");

        var throttled = await AttemptAsync(attacker, _kiln.Demo.ClientId, "wrong-again");
        await HttpAssert.OAuthErrorAsync(throttled, 429, "too_many_requests");
        Assert.InRange(int.Parse(throttled.Headers.GetValues("Retry-After").Single()), 1, 60);
        // Even the right secret waits while the client is locked: no guessing oracle.
        Assert.Equal(429, (int)(await AttemptAsync(attacker, _kiln.Demo.ClientId, _kiln.Demo.ClientSecret)).StatusCode);

        // Another credential is not affected.
        Assert.Equal(200, (int)(await AttemptAsync(_kiln.Http(), other.ClientId, other.Secret)).StatusCode);

        // Once the window passes, the victim works with its real secret.
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(200, (int)(await AttemptAsync(_kiln.Http(), _kiln.Demo.ClientId, _kiln.Demo.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task Attacking_address_is_throttled_across_client_ids_while_other_addresses_work()
    {
        _kiln.With("Kiln:Ims:BruteForce:MaxFailuresPerAddress", "8").With("Kiln:Ims:BruteForce:MaxFailuresPerClient", "1000").Start();
        var attacker = SourceAddress.ClientFrom("127.0.0.2", _kiln.BaseAddress);
        for (var i = 0; i < 8; i++)
            Assert.Equal(400, (int)(await AttemptAsync(attacker, Guid.NewGuid().ToString("N"), "x")).StatusCode);
        Assert.Equal(429, (int)(await AttemptAsync(attacker, _kiln.Demo.ClientId, "x")).StatusCode);

        var legit = SourceAddress.ClientFrom("127.0.0.3", _kiln.BaseAddress);
        Assert.Equal(200, (int)(await AttemptAsync(legit, _kiln.Demo.ClientId, _kiln.Demo.ClientSecret)).StatusCode);
    }
}
