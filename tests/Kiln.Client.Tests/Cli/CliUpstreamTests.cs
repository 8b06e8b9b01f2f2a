using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Upstream;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Client.Tests.Cli;

/// <summary><c>kiln upstream</c> and <c>kiln engine</c> as a process, as an org admin of Kiln A whose upstream is Kiln B (docs/upstream.md#cli).</summary>
public sealed class CliUpstreamTests : IDisposable
{
    private readonly Infrastructure.Cli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Admin_lists_tests_adds_removes_and_sets_the_engine()
    {
        await using var pair = await UpstreamPair.StartAsync();
        _cli.Env["FIREFLY_SERVICES_ACCESS_TOKEN"] = pair.Admin.DefaultRequestHeaders.Authorization!.Parameter;
        string[] common = ["--client-id", ConsoleKit.Cli, "--base-url", pair.A.BaseAddress.ToString(), "--org", pair.A.Demo.OrgId];

        var list = await _cli.RunAsync(["upstream", "list", "--json", .. common]);
        Assert.True(list.Code == 0, list.ToString());
        Assert.Contains(pair.BDemo.ClientId, list.Out);
        Assert.DoesNotContain(pair.BDemo.ClientSecret, list.Out + list.Err);

        var ok = await _cli.RunAsync(["upstream", "test", "b", .. common]);
        Assert.True(ok.Code == 0, ok.ToString());
        Assert.Contains("token", ok.Out);

        var added = await _cli.RunWithInputAsync("not-the-real-secret\n", ["upstream", "add", "nowhere", "--upstream-client-id", "abc", "--upstream-secret-stdin",
            "--ims-url", "http://127.0.0.1:9", "--firefly-url", "http://127.0.0.1:9", .. common]);
        Assert.True(added.Code == 0, added.ToString());
        var bad = await _cli.RunAsync(["upstream", "test", "nowhere", .. common]);
        Assert.Equal(1, bad.Code);
        Assert.Contains("could not be reached", bad.Out);
        Assert.Contains("http://127.0.0.1:9", bad.Out);

        var set = await _cli.RunAsync(["engine", "set", "procedural", .. common]);
        Assert.True(set.Code == 0, set.ToString());
        Assert.Contains("engine: procedural", (await _cli.RunAsync(["engine", "show", .. common])).Out);
        Assert.Equal(0, (await _cli.RunAsync(["upstream", "remove", "nowhere", .. common])).Code);
        var missing = await _cli.RunAsync(["engine", "set", "upstream:nowhere", .. common]);
        Assert.Equal(1, missing.Code);
        Assert.Contains("No upstream profile named 'nowhere'", missing.Err);
    }

    [Fact]
    public async Task Kiln_upstream_rotate_under_load_fails_no_request_and_leaves_only_the_new_secret_on_B()
    {
        await using var pair = await UpstreamPair.StartAsync(configureA: a => a
            .With("Kiln:Upstream:RotationIdleWindow", "00:00:02").With("Kiln:Upstream:RotationPollInterval", "00:00:00.500")
            .With("Kiln:Upstream:RotationDeadline", "00:00:30"));
        _cli.Env["FIREFLY_SERVICES_ACCESS_TOKEN"] = pair.Admin.DefaultRequestHeaders.Authorization!.Parameter;
        string[] common = ["--client-id", ConsoleKit.Cli, "--base-url", pair.A.BaseAddress.ToString(), "--org", pair.A.Demo.OrgId];
        var credentialId = long.Parse(pair.BDemo.CredentialId, System.Globalization.CultureInfo.InvariantCulture);
        List<string> before;
        await using (var bDb = UpstreamPair.OpenDb(pair.BDir))
            before = await bDb.ClientSecrets.Where(s => s.CredentialId == credentialId).Select(s => s.Uuid).ToListAsync();

        var load = GatewayLoad.Start("cli rotate", [pair.Firefly], syncPerNode: 2, asyncPerNode: 1, pollSeconds: 120);
        await Task.Delay(1000);
        var rotated = await _cli.RunAsync(["upstream", "rotate", "b", .. common]);
        await Task.Delay(1500); // requests after the old secret is gone
        await load.StopAsync();

        Assert.True(rotated.Code == 0, rotated.ToString());
        Assert.DoesNotContain(pair.BDemo.ClientSecret, rotated.Out + rotated.Err);
        Assert.False(load.Failed, load.Report);
        Assert.True(load.Done >= 6, $"only {load.Done} requests ran");
        await using (var bDb = UpstreamPair.OpenDb(pair.BDir))
        {
            var after = await bDb.ClientSecrets.Where(s => s.CredentialId == credentialId).Select(s => s.Uuid).ToListAsync();
            Assert.Single(after);
            Assert.DoesNotContain(after[0], before); // the old secret is gone from B, a new one took its place
        }
    }
}
