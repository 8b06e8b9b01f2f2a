using System.Net;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Tests.Quotas;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>Image quotas count exactly across two nodes sharing PostgreSQL (docs/firefly.md#quotas-and-usage): racing submits on both stop at the limit.</summary>
public sealed class TwoNodeQuotaTests() : TwoNodeTests("quotas")
{
    [Fact]
    public async Task Submits_racing_on_two_nodes_admit_exactly_the_daily_limit()
    {
        // Jobs never finish here (a long render delay): only the reservations are counted.
        (string, string)[] settings = [("Kiln__Quotas__Credential__PerDay", "12"), (SlowGenerator.DelayVariable, "600000")];
        var a = await StartNodeAsync(DirA, settings);
        var b = await StartNodeAsync(DirB, settings);
        var demo = await NodeKit.DemoAsync(DirA);
        var token = await NodeKit.TokenAsync(a, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes);
        using var onA = NodeKit.Authed(a, token, demo.ClientId);
        using var onB = NodeKit.Authed(b, token, demo.ClientId);

        var statuses = await Race.AllAsync(30, i => (i % 2 == 0 ? onA : onB).GenerateAsync(1, async: true));
        Assert.Equal(12, statuses.Count(HttpStatusCode.Accepted));
        Assert.Equal(18, statuses.Count(HttpStatusCode.TooManyRequests));

        var ioToken = await NodeKit.TokenAsync(b, demo.ClientId, demo.ClientSecret, KilnFactory.IoScopes);
        using var console = NodeKit.Authed(b, ioToken, demo.ClientId);
        var usage = await console.UsageAsync(demo.OrgId);
        var quota = await HttpAssert.JsonAsync(await console.GetAsync($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/quotas"), 200);
        Assert.Equal(12, usage.Long("totals", "images"));
        Assert.Equal(12, usage.Long("totals", "requests"));
        Assert.Equal(18, usage.Long("totals", "quota_refusals"));
        Assert.Equal(12, quota.Long("used", "day"));
        foreach (var node in new[] { onA, onB })
            using (var res = await node.GenerateAsync(1, async: true)) await QuotaKit.AssertQuota429Async(res);
    }
}
