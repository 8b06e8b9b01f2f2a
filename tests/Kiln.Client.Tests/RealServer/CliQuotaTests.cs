using System.Text.Json;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Client.Tests.RealServer;

/// <summary><c>kiln quota</c> and <c>kiln usage</c> against a real Kiln (docs/console.md#quotas-and-usage): the numbers are what was generated.</summary>
public sealed class CliQuotaTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly Infrastructure.Cli _cli = new();

    public void Dispose()
    {
        _kiln.Dispose();
        _cli.Dispose();
    }

    private string[] AsDemo(params string[] a) =>
        [.. a, "--base-url", _kiln.BaseAddress.ToString(), "--client-id", _kiln.Demo.ClientId, "--client-secret", _kiln.Demo.ClientSecret, "--org", _kiln.Demo.OrgId];

    [Fact]
    public async Task Usage_json_and_table_show_the_generated_images_and_an_admin_sets_a_quota()
    {
        var demo = _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        await http.GenerateOkAsync("/v3/images/generate", """{"prompt":"a cat","numVariations":3,"size":{"width":1024,"height":1024}}""");
        var job = await HttpAssert.JsonAsync(await http.PostRawAsync("/v3/images/expand-async",
            """{"image":{"source":{"uploadId":"__UP__"}},"numVariations":2,"size":{"width":1024,"height":1024}}""".Replace("__UP__",
                await FireflyKit.UploadAsync(http, FireflyKit.Image(1024, 1024)), StringComparison.Ordinal)), 202);
        Assert.Equal("succeeded", (await FireflyKit.PollAsync(http, job.GetProperty("statusUrl").GetString()!)).GetProperty("status").GetString());

        var json = await _cli.RunAsync(AsDemo("usage", "--group-by", "operation,credential", "--json"));
        Assert.True(json.Code == 0, json.ToString());
        var usage = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(5, usage.GetProperty("totals").GetProperty("images").GetInt64());
        Assert.Equal(2, usage.GetProperty("totals").GetProperty("requests").GetInt64());
        var rows = usage.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("operation").GetString()!);
        Assert.Equal(3, rows["generate"].GetProperty("images").GetInt64());
        Assert.Equal(2, rows["expand"].GetProperty("images").GetInt64());
        Assert.All(rows.Values, r => Assert.Equal(demo.CredentialId, r.GetProperty("credential_id").GetString()));

        var table = await _cli.RunAsync(AsDemo("usage"));
        Assert.True(table.Code == 0, table.ToString());
        Assert.Contains("5 images in 2 requests", table.Out);

        // The demo credential is a developer: it may read quotas, not set them.
        var refused = await _cli.RunAsync(AsDemo("quota", "set", "credential", demo.CredentialId, "--per-minute", "5"));
        Assert.Equal(1, refused.Code);
        Assert.Contains("admins", refused.Err);

        var adminId = await _kiln.CreateUserAsync("cli-quota-admin@example.com", _kiln.DemoOrg(), "admin");
        _cli.Env["FIREFLY_SERVICES_ACCESS_TOKEN"] = await _kiln.UserTokenAsync(adminId, _kiln.DemoOrg());
        string[] asAdmin = ["--base-url", _kiln.BaseAddress.ToString(), "--client-id", ConsoleKit.Cli, "--org", demo.OrgId];
        var set = await _cli.RunAsync(["quota", "set", "credential", demo.CredentialId, "--per-minute", "5", "--per-day", "100", .. asAdmin]);
        Assert.True(set.Code == 0, set.ToString());
        var shown = await _cli.RunAsync(["quota", "show", "credential", demo.CredentialId, "--json", .. asAdmin]);
        Assert.True(shown.Code == 0, shown.ToString());
        var quota = JsonDocument.Parse(shown.Out).RootElement[0];
        Assert.Equal(5, quota.GetProperty("effective").GetProperty("per_minute").GetInt32());
        Assert.Equal(100, quota.GetProperty("limits").GetProperty("per_day").GetInt32());
        Assert.Equal(5, quota.GetProperty("used").GetProperty("day").GetInt64());
        // Limits not named keep their value; "default" clears one.
        Assert.Equal(0, (await _cli.RunAsync(["quota", "set", "credential", demo.CredentialId, "--per-minute", "default", .. asAdmin])).Code);
        var after = JsonDocument.Parse((await _cli.RunAsync(["quota", "show", "--json", .. asAdmin])).Out).RootElement;
        var cred = after.EnumerateArray().Single(q => q.GetProperty("scope").GetString() == "credential");
        Assert.False(cred.GetProperty("limits").TryGetProperty("per_minute", out _)); // null, left out of --json
        Assert.Equal(100, cred.GetProperty("limits").GetProperty("per_day").GetInt32());
    }
}
