using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Ims;

/// <summary>The error bodies and statuses of docs/identity.md#token-errors, verbatim.</summary>
public sealed class TokenErrorTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private Task<HttpResponseMessage> PostAsync(params (string, string)[] form) => _kiln.Http().PostFormAsync("/ims/token/v3", form);

    [Fact]
    public async Task Unknown_client_id_is_invalid_client_with_the_exact_description()
    {
        _kiln.Start();
        var res = await PostAsync(("grant_type", "client_credentials"), ("client_id", "0123456789abcdef0123456789abcdef"), ("client_secret", "x"));
        await HttpAssert.OAuthErrorAsync(res, 400, "invalid_client", "invalid client_id parameter");
    }

    [Fact]
    public async Task Wrong_secret_is_invalid_client_with_the_exact_description()
    {
        var demo = _kiln.Start();
        var res = await PostAsync(("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret + "x"));
        await HttpAssert.OAuthErrorAsync(res, 400, "invalid_client", "invalid client_secret parameter");
    }

    [Fact]
    public async Task Scope_not_granted_by_a_subscribed_api_is_invalid_scope()
    {
        var demo = _kiln.Start();
        var res = await PostAsync(("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret),
            ("scope", "firefly_api,photoshop_api"));
        var json = await HttpAssert.JsonAsync(res, 400);
        Assert.Equal("invalid_scope", json.GetProperty("error").GetString());
        Assert.Contains("photoshop_api", json.GetProperty("error_description").GetString());
    }

    [Theory]
    [InlineData("password")]
    [InlineData("authorization_code")]
    public async Task Other_grant_types_are_unsupported(string grant)
    {
        var demo = _kiln.Start();
        var res = await PostAsync(("grant_type", grant), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret));
        await HttpAssert.OAuthErrorAsync(res, 400, "unsupported_grant_type");
    }

    [Fact]
    public async Task Missing_parameters_are_invalid_request()
    {
        var demo = _kiln.Start();
        await HttpAssert.OAuthErrorAsync(await PostAsync(("client_id", demo.ClientId), ("client_secret", demo.ClientSecret)), 400, "invalid_request", "missing grant_type parameter");
        await HttpAssert.OAuthErrorAsync(await PostAsync(("grant_type", "client_credentials"), ("client_secret", demo.ClientSecret)), 400, "invalid_request", "missing client_id parameter");
        await HttpAssert.OAuthErrorAsync(await PostAsync(("grant_type", "client_credentials"), ("client_id", demo.ClientId)), 400, "invalid_request", "missing client_secret parameter");
    }

    [Fact]
    public async Task Empty_scope_gets_every_granted_scope()
    {
        var demo = _kiln.Start();
        var token = await _kiln.DemoTokenAsync();
        var scope = Jwt.Payload(token).GetProperty("scope").GetString()!.Split(',');
        Assert.Contains("firefly_api", scope);
        Assert.Contains("manage_client_secrets", scope);
        Assert.DoesNotContain("", scope);
        Assert.NotNull(demo);
    }
}
