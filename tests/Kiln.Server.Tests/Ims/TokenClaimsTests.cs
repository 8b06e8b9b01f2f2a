using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Server.Tests.Ims;

/// <summary>The claims real clients read (docs/identity.md#access-tokens) plus Kiln's own (docs/identity.md#access-tokens), and the JWKS that verifies them.</summary>
public sealed class TokenClaimsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly KilnFactory _kiln;

    public TokenClaimsTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Token_carries_every_claim_clients_read_with_their_wire_types()
    {
        var demo = _kiln.Start();
        var token = await _kiln.DemoTokenAsync("firefly_api,ff_apis");
        var p = Jwt.Payload(token);

        Assert.Equal("access_token", p.GetProperty("type").GetString());
        Assert.Equal(demo.ClientId, p.GetProperty("client_id").GetString());
        Assert.Equal(JsonValueKind.String, p.GetProperty("created_at").ValueKind);
        Assert.Equal(T0.ToUnixTimeMilliseconds().ToString(), p.GetProperty("created_at").GetString());
        Assert.Equal("86400000", p.GetProperty("expires_in").GetString());
        Assert.Equal("ims-na1", p.GetProperty("as").GetString());
        Assert.Equal("firefly_api,ff_apis", p.GetProperty("scope").GetString());
        Assert.EndsWith("@techacct.adobe.com", p.GetProperty("user_id").GetString());
        Assert.Equal(demo.OrgCode, p.GetProperty("org").GetString());
        Assert.Equal(demo.CredentialId, p.GetProperty("cred").GetString());
        Assert.Matches("^[0-9a-f]{32}$", p.GetProperty("sid").GetString());
        Assert.Matches("^[0-9a-f]{32}$", p.GetProperty("jti").GetString());
        Assert.False(string.IsNullOrEmpty(p.GetProperty("iss").GetString()));
        Assert.Equal(T0.ToUnixTimeSeconds(), p.GetProperty("iat").GetInt64());
        Assert.Equal(T0.AddHours(24).ToUnixTimeSeconds(), p.GetProperty("exp").GetInt64());
        // aio-lib-ims computes expiry as created_at + expires_in (ms): it must land on exp.
        Assert.Equal(p.GetProperty("exp").GetInt64() * 1000,
            long.Parse(p.GetProperty("created_at").GetString()!) + long.Parse(p.GetProperty("expires_in").GetString()!));
    }

    [Fact]
    public async Task Sid_is_the_uuid_of_the_secret_that_minted_the_token()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        var list = await http.GetFromJsonAsync<JsonElement>($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets");
        var uuid = list.GetProperty("client_secrets")[0].GetProperty("uuid").GetString();
        Assert.Equal(uuid, Jwt.Payload(await _kiln.DemoTokenAsync()).GetProperty("sid").GetString());
    }

    [Fact]
    public async Task Token_is_an_asymmetric_jwt_verifiable_with_the_published_jwks()
    {
        _kiln.Start();
        var token = await _kiln.DemoTokenAsync();
        var header = Jwt.Header(token);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        var kid = header.GetProperty("kid").GetString();

        var jwksJson = await _kiln.Http().GetStringAsync("/ims/keys");
        var jwks = new JsonWebKeySet(jwksJson);
        Assert.Contains(jwks.Keys, k => k.Kid == kid && k.Kty == "EC" && k.D is null); // public keys only

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task Expires_in_follows_a_configured_lifetime()
    {
        _kiln.With("Kiln:Ims:TokenLifetime", "02:00:00").Start();
        var res = await _kiln.Http().PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"),
            ("client_id", _kiln.Demo.ClientId), ("client_secret", _kiln.Demo.ClientSecret));
        var json = await HttpAssert.JsonAsync(res, 200);
        Assert.Equal(7199, json.GetProperty("expires_in").GetInt32());
        Assert.Equal("7200000", Jwt.Payload(json.GetProperty("access_token").GetString()!).GetProperty("expires_in").GetString());
    }
}
