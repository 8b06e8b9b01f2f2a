using System.Diagnostics;
using System.Net;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// Removing an API from a credential (docs/identity.md#revocation, docs/console.md#subscriptions-decide-scopes): its scopes
/// leave new tokens, and tokens already issued stop passing the gate for that API within a second, while they keep
/// working for the APIs the credential still has.
/// </summary>
public sealed class ApiRemovalTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private const string UnknownJob = "/v3/status/urn:ff:jobs:kiln:00000000-0000-4000-8000-000000000000";

    [Fact]
    public async Task Removing_an_api_stops_issued_tokens_passing_the_gate_for_it_within_a_second()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var cred = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "removal", "FireflyAPI", "AdobeIOManagementAPISDK");
        var (id, key, secret) = (cred.GetProperty("id").GetString()!, cred.GetProperty("apiKey").GetString()!, cred.GetProperty("client_secret").GetString()!);
        using var issued = _kiln.Authed(await _kiln.TokenAsync(key, secret, KilnFactory.FireflyScopes + "," + KilnFactory.IoScopes), key);
        // Before: the token passes the gate for both APIs (an unknown job is the Firefly API's own 404).
        Assert.Equal(HttpStatusCode.NotFound, (await issued.GetAsync(UnknownJob)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await issued.GetAsync("/console/organizations")).StatusCode);

        var url = $"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server/{id}/service/unsubscribe";
        await HttpAssert.JsonAsync(await http.PatchJsonAsync(url, new { sdkCode = "FireflyAPI" }), 200);
        var clock = Stopwatch.StartNew();
        HttpResponseMessage res;
        while ((res = await issued.GetAsync(UnknownJob)).StatusCode != HttpStatusCode.Forbidden && clock.Elapsed < TimeSpan.FromSeconds(1))
            await Task.Delay(20);
        Assert.True(res.StatusCode == HttpStatusCode.Forbidden, $"the issued token still passes for the removed API after {clock.Elapsed}: {(int)res.StatusCode}");
        Assert.Equal("invalid_ims_scope", res.Headers.GetValues("x-access-error").Single());

        // The token keeps the API the credential still has; a new token cannot ask for the removed one.
        Assert.Equal(HttpStatusCode.OK, (await issued.GetAsync("/console/organizations")).StatusCode);
        var mint = await _kiln.Http().PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", key), ("client_secret", secret),
            ("scope", "firefly_api"));
        await HttpAssert.OAuthErrorAsync(mint, 400, "invalid_scope");

        // Subscribing again lets the same token through again: scopes follow the credential's APIs now.
        await HttpAssert.JsonAsync(await http.PatchJsonAsync(url.Replace("unsubscribe", "subscribe", StringComparison.Ordinal), new { sdkCode = "FireflyAPI" }), 200);
        clock.Restart();
        while ((res = await issued.GetAsync(UnknownJob)).StatusCode != HttpStatusCode.NotFound && clock.Elapsed < TimeSpan.FromSeconds(1))
            await Task.Delay(20);
        Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
    }
}
