using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Upstream;

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
}
