using Kiln.TestSupport;

namespace Kiln.Server.Tests.Upstream;

/// <summary>
/// B's tokens expiring while A forwards a load (docs/upstream.md#what-is-forwarded): A's upstream token provider renews
/// them, so no request fails and B never sees an expired token.
/// </summary>
public sealed class TokenExpiryTests
{
    private const int LifetimeSeconds = 3;

    [Fact]
    public async Task B_tokens_expiring_mid_load_fail_no_request_and_never_reach_B_expired()
    {
        // B issues 3-second tokens (a test seam: Kiln's own floor is 11 minutes) and logs every request's status.
        await using var pair = await UpstreamPair.StartAsync(new()
        {
            [ShortTokenStartup.LifetimeVariable] = LifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        using var early = await pair.BClientAsync(); // a token of A's upstream credential, minted before the load
        var load = GatewayLoad.Start("expiry", [pair.Firefly], syncPerNode: 2, asyncPerNode: 1, pollSeconds: 60);
        await Task.Delay(TimeSpan.FromSeconds(3 * LifetimeSeconds - 2));
        await load.StopAsync();
        var bLog = pair.B.Output;

        Assert.False(load.Failed, load.Report);
        Assert.True(load.Done >= 6, $"only {load.Done} requests ran");
        // The load outlived B's tokens: the one minted before it is refused now...
        using (var expired = await early.GetAsync("/v3/status/urn:ff:jobs:none")) Assert.Equal(401, (int)expired.StatusCode);
        // ...so A minted several, and renewed them before B refused any: B answered no request with 401.
        var minted = pair.A.Logs.Lines.Count(l => l.Contains("Token issued for client " + pair.BDemo.ClientId, StringComparison.Ordinal));
        Assert.True(minted >= 3, $"A minted {minted} upstream tokens during a load that outlived 2 of B's token lifetimes");
        var finished = bLog.Split('\n').Where(l => l.Contains("Request finished", StringComparison.Ordinal)).ToList();
        Assert.True(finished.Count >= load.Done, $"B logged {finished.Count} finished requests:\n{bLog}");
        Assert.DoesNotContain(finished, l => l.Contains(" - 401 ", StringComparison.Ordinal));
    }
}
