using System.Net.Http.Headers;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Security;

/// <summary>
/// Hostile tokens against every protected route group. Each must be refused with the gateway's 401 body.
/// </summary>
public sealed class JwtAttackTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public JwtAttackTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    /// <summary>One cheap GET per protected route group; every group is gated the same way.</summary>
    private IEnumerable<string> ProtectedRoutes()
    {
        var d = _kiln.Demo;
        yield return $"/console/organizations/{d.OrgId}/credentials/{d.CredentialId}/secrets";
        yield return $"/console/organizations/{d.OrgId}/audit";
    }

    private async Task AssertRefusedEverywhereAsync(string token)
    {
        foreach (var route in ProtectedRoutes())
        {
            var c = _kiln.Http();
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            c.DefaultRequestHeaders.Add("x-api-key", _kiln.Demo.ClientId);
            await HttpAssert.GatewayErrorAsync(await c.GetAsync(route), 401, "401013");
        }
    }

    private async Task<string> ValidTokenAsync()
    {
        var token = await _kiln.DemoTokenAsync(KilnFactory.IoScopes);
        foreach (var route in ProtectedRoutes()) // the control: the genuine token passes everywhere
            await HttpAssert.JsonAsync(await _kiln.Authed(token, _kiln.Demo.ClientId).GetAsync(route), 200);
        return token;
    }

    [Fact]
    public async Task Alg_none_is_refused()
    {
        _kiln.Start();
        await AssertRefusedEverywhereAsync(TokenForge.Unsigned(await ValidTokenAsync()));
    }

    [Fact]
    public async Task Hs256_signed_with_the_public_key_is_refused()
    {
        _kiln.Start();
        var token = await ValidTokenAsync();
        var jwks = await _kiln.Http().GetStringAsync("/ims/keys");
        foreach (var forged in TokenForge.KeyConfusion(token, jwks)) await AssertRefusedEverywhereAsync(forged);
    }

    [Fact]
    public async Task Unknown_kid_and_jku_or_x5u_pointing_elsewhere_are_refused()
    {
        _kiln.Start();
        var token = await ValidTokenAsync();
        var realKid = TokenForge.HeaderOf(token)["kid"]!.GetValue<string>();
        await AssertRefusedEverywhereAsync(TokenForge.ForeignKey(token, "no-such-kid"));
        await AssertRefusedEverywhereAsync(TokenForge.ForeignKey(token, realKid));
        await AssertRefusedEverywhereAsync(TokenForge.ForeignKey(token, "attacker", jku: "http://127.0.0.1:1/jwks.json"));
        await AssertRefusedEverywhereAsync(TokenForge.ForeignKey(token, "attacker", x5u: "http://127.0.0.1:1/cert.pem"));
    }

    [Fact]
    public async Task Tampered_payload_is_refused()
    {
        _kiln.Start();
        var token = await ValidTokenAsync();
        await AssertRefusedEverywhereAsync(TokenForge.Tampered(token, p => p["scope"] = p["scope"] + ",admin"));
        await AssertRefusedEverywhereAsync(TokenForge.Tampered(token, p => p["exp"] = p["exp"]!.GetValue<long>() + 86400));
    }

    [Fact]
    public async Task Expired_and_not_yet_valid_tokens_are_refused()
    {
        _kiln.Start();
        var token = await ValidTokenAsync();
        var future = TokenForge.PayloadOf(token);
        future["nbf"] = _clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        future["jti"] = Guid.NewGuid().ToString("N");
        await AssertRefusedEverywhereAsync(TokenForge.SignWith(_kiln.Services, future));

        _clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        await AssertRefusedEverywhereAsync(token);
    }

    [Fact]
    public async Task Claims_the_gate_relies_on_are_checked_even_under_a_valid_signature()
    {
        _kiln.Start();
        var token = await ValidTokenAsync();
        foreach (var change in new Action<System.Text.Json.Nodes.JsonObject>[]
        {
            p => p["type"] = "refresh_token",
            p => p["iss"] = "https://ims-na1.adobelogin.com",
            p => p.Remove("exp"),
            p => p["sid"] = "0123456789abcdef0123456789abcdef",
            p => p["cred"] = "123",
        })
        {
            var p = TokenForge.PayloadOf(token);
            change(p);
            p["jti"] = Guid.NewGuid().ToString("N");
            await AssertRefusedEverywhereAsync(TokenForge.SignWith(_kiln.Services, p));
        }
    }

    [Fact]
    public async Task Token_signed_by_another_kiln_instance_is_refused()
    {
        _kiln.Start();
        var token = await ValidTokenAsync();
        using var other = new KilnFactory();
        other.Start();
        // Our credential's exact claims, signed by the other instance's genuine key.
        await AssertRefusedEverywhereAsync(TokenForge.SignWith(other.Services, TokenForge.PayloadOf(token)));
        await AssertRefusedEverywhereAsync(await other.DemoTokenAsync());
    }
}
