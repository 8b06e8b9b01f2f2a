using System.Net;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Tests.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Ims;

/// <summary>OIDC discovery and the issuer (docs/identity.md#oidc-discovery, docs/identity.md#issuer).</summary>
public sealed class DiscoveryTests
{
    private const string DiscoveryPath = "/ims/.well-known/openid-configuration";

    [Fact]
    public async Task Discovery_has_Adobes_fields_with_Kilns_values_and_its_issuer_is_the_tokens_iss()
    {
        using var kiln = new KilnFactory();
        kiln.Start();
        var baseUrl = kiln.BaseAddress.ToString().TrimEnd('/');
        var res = await kiln.Http().GetAsync(DiscoveryPath);
        var doc = await HttpAssert.JsonAsync(res, 200);

        Assert.Equal("kiln-ims", doc.GetProperty("issuer").GetString()); // no public URL configured: the legacy constant
        Assert.Equal(doc.GetProperty("issuer").GetString(), Jwt.Payload(await kiln.DemoTokenAsync()).GetProperty("iss").GetString());
        Assert.Equal(baseUrl + "/ims/token/v3", doc.GetProperty("token_endpoint").GetString());
        Assert.Equal(baseUrl + "/ims/keys", doc.GetProperty("jwks_uri").GetString());
        Assert.Equal(baseUrl + "/ims/invalidate_token/v2", doc.GetProperty("revocation_endpoint").GetString());
        Assert.Equal(["client_credentials", "urn:ietf:params:oauth:grant-type:device_code"], Strings(doc, "grant_types_supported"));
        Assert.Equal(["client_secret_basic", "client_secret_post"], Strings(doc, "token_endpoint_auth_methods_supported"));
        Assert.Equal(["ES256"], Strings(doc, "id_token_signing_alg_values_supported"));
        Assert.Contains("firefly_api", Strings(doc, "scopes_supported"));
        Assert.Contains("aud", Strings(doc, "claims_supported"));

        // The jwks_uri it names is the live key set.
        var keys = await HttpAssert.JsonAsync(await kiln.Http().GetAsync(doc.GetProperty("jwks_uri").GetString()), 200);
        Assert.Equal(Jwt.Header(await kiln.DemoTokenAsync()).GetProperty("kid").GetString(), keys.GetProperty("keys")[0].GetProperty("kid").GetString());
    }

    [Fact]
    public async Task Issuer_comes_from_the_public_url_whatever_host_the_token_was_minted_through()
    {
        using var kiln = new KilnFactory().With("Kiln:PublicBaseUrl", "https://kiln.example.test/");
        kiln.Start();
        var legacy = TokenForge.PayloadOf(await kiln.DemoTokenAsync(KilnFactory.FireflyScopes));

        // Minted through another host name (as a client reaching Kiln as ims-na1.adobelogin.com does): same iss.
        var http = kiln.Http();
        http.DefaultRequestHeaders.Host = "ims-na1.adobelogin.com";
        var token = (await HttpAssert.JsonAsync(await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"),
            ("client_id", kiln.Demo.ClientId), ("client_secret", kiln.Demo.ClientSecret)), 200)).GetProperty("access_token").GetString()!;
        Assert.Equal("https://kiln.example.test/ims", Jwt.Payload(token).GetProperty("iss").GetString());
        Assert.Equal(kiln.Demo.ClientId, Jwt.Payload(token).GetProperty("aud").GetString());
        var doc = await HttpAssert.JsonAsync(await kiln.Http().GetAsync(DiscoveryPath), 200);
        Assert.Equal("https://kiln.example.test/ims", doc.GetProperty("issuer").GetString());

        // A token minted before the default changed (iss "kiln-ims") still passes until it expires.
        legacy["iss"] = "kiln-ims";
        legacy["jti"] = Guid.NewGuid().ToString("N");
        var old = kiln.Authed(TokenForge.SignWith(kiln.Services, legacy), kiln.Demo.ClientId);
        Assert.True((await HttpAssert.JsonAsync(await old.PostEmptyAsync("/ims/validate_token/v1"), 200)).GetProperty("valid").GetBoolean());
        await HttpAssert.GatewayErrorAsync(await old.GetAsync($"/v3/status/urn:ff:jobs:kiln:{Guid.NewGuid()}"), 404, "unknown_job_id"); // past the gate
    }

    [Fact]
    public async Task A_configured_issuer_wins_and_then_only_it_is_accepted()
    {
        using var kiln = new KilnFactory().With("Kiln:PublicBaseUrl", "https://kiln.example.test").With("Kiln:Ims:Issuer", "https://issuer.example.test/ims");
        kiln.Start();
        var token = await kiln.DemoTokenAsync();
        Assert.Equal("https://issuer.example.test/ims", Jwt.Payload(token).GetProperty("iss").GetString());
        Assert.Equal("https://issuer.example.test/ims", (await HttpAssert.JsonAsync(await kiln.Http().GetAsync(DiscoveryPath), 200)).GetProperty("issuer").GetString());

        var legacy = TokenForge.PayloadOf(token);
        legacy["iss"] = "kiln-ims";
        legacy["jti"] = Guid.NewGuid().ToString("N");
        var old = kiln.Authed(TokenForge.SignWith(kiln.Services, legacy), kiln.Demo.ClientId);
        Assert.False((await HttpAssert.JsonAsync(await old.PostEmptyAsync("/ims/validate_token/v1"), 200)).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task AspNetCore_JwtBearer_with_Kilns_authority_accepts_a_Kiln_token_and_refuses_forged_and_expired_ones()
    {
        // Kiln's clock starts 25 hours ago, so its first token is already expired by the resource server's real clock.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-25));
        using var kiln = new KilnFactory(clock);
        var demo = kiln.Start();
        var expired = await kiln.DemoTokenAsync(KilnFactory.FireflyScopes);
        clock.SetUtcNow(DateTimeOffset.UtcNow);
        var token = await kiln.DemoTokenAsync(KilnFactory.FireflyScopes);
        var forged = TokenForge.ForeignKey(token, Jwt.Header(token).GetProperty("kid").GetString()!);
        var authority = kiln.BaseAddress + "ims";

        await using (var rs = await ResourceServer.StartAsync(authority, audience: demo.ClientId))
        {
            var ok = await rs.GetAsync(token);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal(demo.ClientId, await ok.Content.ReadAsStringAsync());

            var refused = await rs.GetAsync(forged);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

            var late = await rs.GetAsync(expired);
            Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
            Assert.Contains("expired", late.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        // Why Audience is set above: with Authority alone, JwtBearer refuses every token, whatever the server sends
        // (no valid audience configured), so no issuer can avoid it (docs/identity.md#audience).
        await using (var bare = await ResourceServer.StartAsync(authority, audience: null))
        {
            var res = await bare.GetAsync(token);
            Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
            Assert.Contains("audience", res.Headers.WwwAuthenticate.ToString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    private static List<string> Strings(JsonElement doc, string name) =>
        doc.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>A third-party API on loopback that trusts Kiln through discovery alone: stock JwtBearer, no custom code.</summary>
    private sealed class ResourceServer(WebApplication app, HttpClient http) : IAsyncDisposable
    {
        public static async Task<ResourceServer> StartAsync(string authority, string? audience)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
            {
                o.Authority = authority;
                if (audience is not null) o.Audience = audience;
                o.RequireHttpsMetadata = false; // Kiln answers on http loopback here
            });
            builder.Services.AddAuthorization();
            var app = builder.Build();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet("/whoami", (System.Security.Claims.ClaimsPrincipal user) => user.FindFirst("client_id")?.Value ?? "").RequireAuthorization();
            await app.StartAsync();
            return new ResourceServer(app, new HttpClient { BaseAddress = new Uri(app.Urls.First()) });
        }

        public Task<HttpResponseMessage> GetAsync(string token)
        {
            var req = new HttpRequestMessage(HttpMethod.Get, "/whoami");
            req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return http.SendAsync(req);
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
