using System.Collections.Concurrent;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
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
        var failures = new ConcurrentQueue<string>();
        var done = 0;
        using var stop = new CancellationTokenSource();
        async Task SyncLoad()
        {
            while (!stop.IsCancellationRequested)
            {
                using var res = await pair.Firefly.PostRawAsync("/v3/images/generate", """{"prompt":"expiry","size":{"width":1024,"height":1024}}""");
                if ((int)res.StatusCode != 200) failures.Enqueue($"sync {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
                Interlocked.Increment(ref done);
            }
        }
        async Task AsyncLoad()
        {
            while (!stop.IsCancellationRequested)
            {
                using var res = await pair.Firefly.PostRawAsync("/v3/images/generate-async", """{"prompt":"expiry","size":{"width":1024,"height":1024}}""");
                if ((int)res.StatusCode != 202) { failures.Enqueue($"submit {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}"); continue; }
                var status = await FireflyKit.PollAsync(pair.Firefly, (await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!, seconds: 60);
                if (status.GetProperty("status").GetString() != "succeeded") failures.Enqueue("job " + status);
                Interlocked.Increment(ref done);
            }
        }
        var load = new[] { SyncLoad(), SyncLoad(), AsyncLoad() };
        await Task.Delay(TimeSpan.FromSeconds(3 * LifetimeSeconds - 2));
        await stop.CancelAsync();
        await Task.WhenAll(load);
        var bLog = pair.B.Output;

        Assert.True(failures.IsEmpty, $"{failures.Count} of {done} requests failed:\n" + string.Join('\n', failures));
        Assert.True(done >= 6, $"only {done} requests ran");
        // The load outlived B's tokens: the one minted before it is refused now...
        using (var expired = await early.GetAsync("/v3/status/urn:ff:jobs:none")) Assert.Equal(401, (int)expired.StatusCode);
        // ...so A minted several, and renewed them before B refused any: B answered no request with 401.
        var minted = pair.A.Logs.Lines.Count(l => l.Contains("Token issued for client " + pair.BDemo.ClientId, StringComparison.Ordinal));
        Assert.True(minted >= 3, $"A minted {minted} upstream tokens during a load that outlived 2 of B's token lifetimes");
        var finished = bLog.Split('\n').Where(l => l.Contains("Request finished", StringComparison.Ordinal)).ToList();
        Assert.True(finished.Count >= done, $"B logged {finished.Count} finished requests:\n{bLog}");
        Assert.DoesNotContain(finished, l => l.Contains(" - 401 ", StringComparison.Ordinal));
    }
}
