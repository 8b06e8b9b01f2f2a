using System.Globalization;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Tests.Quotas;
using Kiln.Server.Tests.ScaleOut;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Tests.Upstream;

/// <summary>
/// Rotation of the upstream secret with two gateway nodes under load (docs/upstream.md#rotation): asked on both nodes
/// at once, exactly one node rotates; both switch to the new secret without a failed request; the old secret is gone from B.
/// </summary>
public sealed class TwoGatewayRotationTests() : TwoGateways("gw-rotate")
{
    [Fact]
    public async Task Rotation_asked_on_both_nodes_under_load_runs_once_and_fails_no_request()
    {
        await StartAsync(("Kiln__Upstream__RotationIdleWindow", "00:00:02"), ("Kiln__Upstream__RotationPollInterval", "00:00:00.500"),
            ("Kiln__Upstream__RotationDeadline", "00:00:30"));
        var credentialId = long.Parse(BDemo.CredentialId, CultureInfo.InvariantCulture);
        List<string> before;
        await using (var bDb = UpstreamPair.OpenDb(BDir))
            before = await bDb.ClientSecrets.Where(s => s.CredentialId == credentialId).Select(s => s.Uuid).ToListAsync();
        Assert.Single(before);

        using var on1 = await DemoClientAsync(Node1);
        using var on2 = await DemoClientAsync(Node2);
        // Async jobs are submitted on one node and polled on the other: either node's worker may run them.
        var load = GatewayLoad.Start("rotate", [on1, on2], syncPerNode: 1, asyncPerNode: 1, pollSeconds: 90);
        // Both nodes forward with the old secret first (their first requests also mint its tokens).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (load.DoneByNode.Any(n => n < 2) && DateTime.UtcNow < deadline && !load.Failed) await Task.Delay(100);
        var doneBefore = load.DoneByNode;

        using var admin1 = await AdminAsync(Node1);
        using var admin2 = await AdminAsync(Node2);
        var rotations = await Task.WhenAll(admin1.PostAsync(OrgPath + "/upstreams/b/rotate", null), admin2.PostAsync(OrgPath + "/upstreams/b/rotate", null));
        var results = new[] { await HttpAssert.JsonAsync(rotations[0], 200), await HttpAssert.JsonAsync(rotations[1], 200) };
        var doneAtRotation = load.DoneByNode;
        await Task.Delay(2000); // requests after the old secret is gone
        await load.StopAsync();
        var done = load.DoneByNode;

        Assert.False(load.Failed, load.Report);
        Assert.True(doneBefore.All(n => n >= 2) && done[0] > doneAtRotation[0] && done[1] > doneAtRotation[1],
            $"load too thin: [{string.Join(',', doneBefore)}] before the rotation, [{string.Join(',', doneAtRotation)}] when it ended, [{string.Join(',', done)}] at the end");
        // Exactly one node rotated: one answer says it succeeded, the other that the rotation was running already;
        // one node logged the rotation, and the audit log has one.
        Assert.Single(results, r => r.GetProperty("succeeded").GetBoolean());
        var loser = Assert.Single(results, r => !r.GetProperty("succeeded").GetBoolean());
        Assert.Contains("being rotated already", loser.GetProperty("message").GetString());
        Assert.Equal(1, new[] { Node1, Node2 }.Count(n => n.Output.Contains("Rotating the client secret of upstream b", StringComparison.Ordinal)));
        await using (var db = Db())
            Assert.Equal(1, await db.AuditRecords.CountAsync(a => a.Action == "upstream.rotate"));

        // B holds one secret, a new one, and the old one mints nothing.
        await using (var bDb = UpstreamPair.OpenDb(BDir))
        {
            var after = await bDb.ClientSecrets.Where(s => s.CredentialId == credentialId).Select(s => s.Uuid).ToListAsync();
            Assert.Single(after);
            Assert.DoesNotContain(after[0], before);
        }
        using (var old = await NodeKit.TokenResponseAsync(B, BDemo.ClientId, BDemo.ClientSecret))
            Assert.Equal(400, (int)old.StatusCode);
        // Both nodes switched: B refuses every token the old secret minted, yet each node still forwards.
        foreach (var http in new[] { on1, on2 })
            await http.GenerateOkAsync("/v3/images/generate", """{"prompt":"after","size":{"width":1024,"height":1024}}""");
    }
}

/// <summary>
/// Quotas on two gateway nodes (docs/firefly.md#quotas-and-usage): requests racing on both nodes admit exactly the
/// limit before anything is forwarded; the rest get 429 with Retry-After; A's usage and B's renders count exactly that.
/// </summary>
public sealed class TwoGatewayQuotaTests() : TwoGateways("gw-quota")
{
    private const int Limit = 8;
    private const int Racers = 20;

    [Fact]
    public async Task Requests_racing_on_two_gateway_nodes_admit_exactly_the_limit()
    {
        await StartAsync(("Kiln__Quotas__Credential__PerDay", Limit.ToString(CultureInfo.InvariantCulture)));
        using var on1 = await DemoClientAsync(Node1);
        using var on2 = await DemoClientAsync(Node2);
        // Every third racer is an async job: the quota covers both.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = Enumerable.Range(0, Racers).Select(async i =>
        {
            await gate.Task;
            var res = await (i % 2 == 0 ? on1 : on2).GenerateAsync(1, async: i % 3 == 2);
            return (Index: i, Response: res);
        }).ToList();
        gate.SetResult();
        var answers = await Task.WhenAll(racers);

        var admitted = new List<(int Index, HttpResponseMessage Response)>();
        foreach (var (i, res) in answers)
        {
            if ((int)res.StatusCode == 429) Assert.True(await QuotaKit.AssertQuota429Async(res) > 0, "429 without a positive Retry-After");
            else admitted.Add((i, res));
        }
        Assert.Equal(Limit, admitted.Count);
        foreach (var (i, res) in admitted)
        {
            if (i % 3 != 2) { await HttpAssert.JsonAsync(res, 200); continue; }
            var job = await HttpAssert.JsonAsync(res, 202);
            var status = await FireflyKit.PollAsync(i % 2 == 0 ? on2 : on1, new Uri(job.GetProperty("statusUrl").GetString()!).PathAndQuery, seconds: 60);
            Assert.True(status.GetProperty("status").GetString() == "succeeded", status.ToString());
        }
        foreach (var (_, res) in answers) res.Dispose();

        // A's usage and quota: exactly the limit, the rest refused; either node can still only refuse.
        using var console = await DemoClientAsync(Node2, KilnFactory.IoScopes);
        var usage = await console.UsageAsync(Demo.OrgId);
        Assert.Equal(Limit, usage.Long("totals", "images"));
        Assert.Equal(Limit, usage.Long("totals", "requests"));
        Assert.Equal(Racers - Limit, usage.Long("totals", "quota_refusals"));
        var quota = await HttpAssert.JsonAsync(await console.GetAsync($"{OrgPath}/credentials/{Demo.CredentialId}/quotas"), 200);
        Assert.Equal(Limit, quota.Long("used", "day"));
        foreach (var node in new[] { on1, on2 })
            using (var res = await node.GenerateAsync(1)) await QuotaKit.AssertQuota429Async(res);
        // B rendered exactly the admitted images: nothing over the limit was forwarded.
        using var bConsole = NodeKit.Authed(B, await NodeKit.TokenAsync(B, BDemo.ClientId, BDemo.ClientSecret, KilnFactory.IoScopes), BDemo.ClientId);
        Assert.Equal(Limit, (await bConsole.UsageAsync(BDemo.OrgId)).Long("totals", "images"));
    }
}
