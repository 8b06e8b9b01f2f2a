using System.Text.Json;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;

namespace Kiln.Client.Tests.RealServer;

/// <summary>The <c>kiln</c> CLI as a process against a real Kiln: images, jobs, console, secrets and the device-flow login.</summary>
public sealed class CliRealServerTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly Infrastructure.Cli _cli = new();
    private readonly string _out = Directory.CreateTempSubdirectory("kiln-real-out-").FullName;

    public void Dispose()
    {
        _kiln.Dispose();
        _cli.Dispose();
        Directory.Delete(_out, recursive: true);
    }

    private string[] Args(params string[] a) =>
        [.. a, "--base-url", _kiln.BaseAddress.ToString(), "--client-id", _kiln.Demo.ClientId, "--client-secret", _kiln.Demo.ClientSecret];

    private static void AssertSavedJpeg(string path, int w, int h)
    {
        Assert.True(File.Exists(path), path);
        FireflyKit.AssertJpeg(File.ReadAllBytes(path), w, h);
    }

    [Fact]
    public async Task Generate_writes_real_jpegs_and_prints_paths_or_json()
    {
        _kiln.Start();
        var json = await _cli.RunAsync(Args("generate", "a realistic illustration of a cat coding", "-o", _out, "--size", "1024x1024", "--seed", "11", "--json"));
        Assert.True(json.Code == 0, json.ToString());
        var doc = JsonDocument.Parse(json.Out).RootElement;
        Assert.StartsWith("urn:ff:jobs:kiln:", doc.GetProperty("jobId").GetString());
        var output = Assert.Single(doc.GetProperty("outputs").EnumerateArray().ToList());
        Assert.Equal(11, output.GetProperty("seed").GetInt32());
        AssertSavedJpeg(output.GetProperty("path").GetString()!, 1024, 1024);

        var plain = await _cli.RunAsync(Args("generate", "a cat", "-o", _out, "--size", "1024x1024", "--variations", "2", "--sync"));
        Assert.True(plain.Code == 0, plain.ToString());
        var paths = plain.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, paths.Length);
        Assert.All(paths, p => AssertSavedJpeg(p, 1024, 1024));
    }

    [Fact]
    public async Task Expand_fill_similar_and_composite_upload_their_input_files()
    {
        _kiln.Start();
        var input = Path.Combine(_out, "in.png");
        var mask = Path.Combine(_out, "mask.png");
        await File.WriteAllBytesAsync(input, FireflyKit.Image(1024, 1024));
        await File.WriteAllBytesAsync(mask, FireflyKit.Mask(1024, 1024, new SKRectI(256, 256, 768, 768)));
        (string[] Cmd, int W, int H)[] cases =
        [
            (["expand", input, "--size", "1344x768", "--prompt", "more sky"], 1344, 768),
            (["fill", input, "--mask", mask, "--size", "1024x1024", "--prompt", "a red ball"], 1024, 1024),
            (["similar", input, "--size", "1024x1024"], 1024, 1024),
            (["composite", input, "--prompt", "on a beach", "--size", "1024x1024"], 1024, 1024),
        ];
        foreach (var (cmd, w, h) in cases)
        {
            var r = await _cli.RunAsync(Args([.. cmd, "-o", Path.Combine(_out, cmd[0]), "--json"]));
            Assert.True(r.Code == 0, cmd[0] + ": " + r);
            var outputs = JsonDocument.Parse(r.Out).RootElement.GetProperty("outputs");
            AssertSavedJpeg(outputs[0].GetProperty("path").GetString()!, w, h);
        }
        var human = await _cli.RunAsync(Args("similar", input, "--size", "1024x1024", "-o", _out));
        Assert.True(human.Code == 0, human.ToString());
        Assert.Contains("Uploaded " + input, human.Err);
        Assert.Equal(2, (await _cli.RunAsync(Args("fill", input, "-o", _out))).Code); // --mask is required
    }

    [Fact]
    public async Task Jobs_status_and_cancel_on_a_real_slow_job()
    {
        _kiln.WithSlowGenerator(30000).Start();
        var submitted = await _cli.RunAsync(Args("generate", "slow", "--size", "1024x1024", "--async"));
        Assert.True(submitted.Code == 0, submitted.ToString());
        var jobId = submitted.Out.Trim();
        Assert.StartsWith("urn:ff:jobs:kiln:", jobId);

        var status = await _cli.RunAsync(Args("jobs", "status", jobId, "--json"));
        Assert.True(status.Code == 0, status.ToString());
        Assert.Contains(JsonDocument.Parse(status.Out).RootElement.GetProperty("status").GetString(), new[] { "pending", "running" });
        var canceled = await _cli.RunAsync(Args("jobs", "cancel", jobId, "--json"));
        Assert.True(canceled.Code == 0, canceled.ToString());
        Assert.Equal("canceled", JsonDocument.Parse(canceled.Out).RootElement.GetProperty("status").GetString());
        Assert.Equal("canceled", JsonDocument.Parse((await _cli.RunAsync(Args("jobs", "status", jobId, "--json"))).Out).RootElement.GetProperty("status").GetString());

        var unknown = await _cli.RunAsync(Args("jobs", "status", "urn:ff:jobs:kiln:" + Guid.NewGuid()));
        Assert.Equal(1, unknown.Code);
        Assert.StartsWith("kiln: ", unknown.Err);
    }

    [Fact]
    public async Task Projects_credentials_and_secrets_against_the_real_console()
    {
        _kiln.Start();
        var org = _kiln.Demo.OrgId;
        var created = await _cli.RunAsync(Args("projects", "create", "cliproj", "--org", org, "--json"));
        Assert.True(created.Code == 0, created.ToString());
        var projectId = JsonDocument.Parse(created.Out).RootElement.GetProperty("projectId").GetString()!;
        Assert.Matches("^[0-9]+$", projectId);
        var table = await _cli.RunAsync(Args("projects", "list", "--org", org));
        Assert.True(table.Code == 0, table.ToString());
        Assert.Contains(projectId, table.Out);
        var listJson = JsonDocument.Parse((await _cli.RunAsync(Args("projects", "list", "--org", org, "--json"))).Out).RootElement;
        Assert.Contains(listJson.EnumerateArray(), p => p.GetProperty("id").GetString() == projectId && p.GetProperty("name").GetString() == "cliproj");
        var dup = await _cli.RunAsync(Args("projects", "create", "cliproj", "--org", org));
        Assert.Equal(1, dup.Code);
        Assert.StartsWith("kiln: 409", dup.Err);

        var cred = await _cli.RunAsync(Args("credentials", "create", "ci", "--project", projectId, "--org", org));
        Assert.True(cred.Code == 0, cred.ToString());
        Assert.Matches("client_id: +[0-9a-f]{32}", cred.Out);
        Assert.Contains("client_secret: ", cred.Out);
        var creds = JsonDocument.Parse((await _cli.RunAsync(Args("credentials", "list", "--project", projectId, "--org", org, "--json"))).Out).RootElement;
        var credId = Assert.Single(creds.EnumerateArray().ToList()).GetProperty("id_integration").ToString();
        var deleted = await _cli.RunAsync(Args("credentials", "delete", credId, "--project", projectId, "--org", org, "--force", "--json"));
        Assert.True(deleted.Code == 0, deleted.ToString());
        Assert.Empty(JsonDocument.Parse((await _cli.RunAsync(Args("credentials", "list", "--project", projectId, "--org", org, "--json"))).Out).RootElement.EnumerateArray());

        var secrets = await _cli.RunAsync(Args("secrets", "list", "--json")); // org and credential found from the client id
        Assert.True(secrets.Code == 0, secrets.ToString());
        Assert.Single(JsonDocument.Parse(secrets.Out).RootElement.GetProperty("client_secrets").EnumerateArray());
        Assert.DoesNotContain(_kiln.Demo.ClientSecret, secrets.Out);

        Assert.Equal(2, (await _cli.RunAsync(Args("projects", "delete", projectId, "--org", org))).Code); // not confirmed
        Assert.Equal(0, (await _cli.RunAsync(Args("projects", "delete", projectId, "--org", org, "--force"))).Code);
        Assert.DoesNotContain(projectId, (await _cli.RunAsync(Args("projects", "list", "--org", org))).Out);
    }

    [Fact]
    public async Task Login_through_the_real_device_flow_then_a_console_command_with_the_stored_user_token()
    {
        _kiln.Start();
        var userId = await _kiln.CreateUserAsync("cli@example.com", _kiln.DemoOrg(), "developer");
        var login = _cli.RunAsync("login", "--base-url", _kiln.BaseAddress.ToString());

        string? userCode = null;
        var until = DateTime.UtcNow.AddSeconds(30);
        while (userCode is null && DateTime.UtcNow < until && !login.IsCompleted)
        {
            userCode = await _kiln.WithDbAsync((db, _) => db.DeviceAuthorizations.Select(d => d.UserCode).FirstOrDefaultAsync());
            if (userCode is null) await Task.Delay(100);
        }
        Assert.NotNull(userCode);
        Assert.Equal(Kiln.Server.Ims.DeviceDecision.Approved, await _kiln.ApproveAsync(userCode, userId, _kiln.DemoOrg()));

        var r = await login;
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains(userCode, r.Err.Replace("-", "", StringComparison.Ordinal)); // shown as XXXX-XXXX
        var token = JsonDocument.Parse(await File.ReadAllTextAsync(_cli.ProfilePath())).RootElement.GetProperty("access_token").GetString()!;
        Assert.DoesNotContain(token, r.Out + r.Err);
        Assert.Equal(token, (await _cli.RunAsync("token")).Out.Trim());

        var projects = await _cli.RunAsync("projects", "list", "--org", _kiln.Demo.OrgId, "--json");
        Assert.True(projects.Code == 0, projects.ToString());
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(projects.Out).RootElement.ValueKind);

        Assert.Equal(0, (await _cli.RunAsync("logout")).Code);
        Assert.Equal(2, (await _cli.RunAsync("projects", "list", "--org", _kiln.Demo.OrgId)).Code);
    }
}
