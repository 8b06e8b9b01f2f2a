using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Users;
using Kiln.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Tests.Upstream;

/// <summary>Rotation under load, kill -9 of the gateway, secrecy of the stored secret, isolation between orgs (docs/upstream.md).</summary>
public sealed class RotationAndSecrecyTests
{
    [Fact]
    public async Task Rotation_under_load_fails_no_request_and_leaves_only_the_new_secret_on_B()
    {
        await using var pair = await UpstreamPair.StartAsync(configureA: a => a
            .With("Kiln:Upstream:RotationIdleWindow", "00:00:02").With("Kiln:Upstream:RotationPollInterval", "00:00:00.500")
            .With("Kiln:Upstream:RotationDeadline", "00:00:30"));
        using var bConsole = await pair.BClientAsync(KilnFactory.IoScopes);
        var secretsPath = $"/console/organizations/{pair.BDemo.OrgId}/credentials/{pair.BDemo.CredentialId}/secrets";
        var before = (await HttpAssert.JsonAsync(await bConsole.GetAsync(secretsPath), 200)).GetProperty("client_secrets").EnumerateArray()
            .Select(s => s.GetProperty("uuid").GetString()!).ToList();

        var load = GatewayLoad.Start("load", [pair.Firefly], syncPerNode: 2, asyncPerNode: 1, pollSeconds: 120);
        await Task.Delay(1500);
        var rotated = await HttpAssert.JsonAsync(await pair.Admin.PostAsync(pair.OrgPath + "/upstreams/b/rotate", null), 200);
        await Task.Delay(2000); // requests after the old secret is gone
        await load.StopAsync();

        Assert.True(rotated.GetProperty("succeeded").GetBoolean(), rotated.ToString());
        Assert.False(load.Failed, load.Report);
        Assert.True(load.Done >= 6, $"only {load.Done} requests ran");
        // B's own database: one secret left, a new one (B's API would need a token, and the only secret we knew is gone).
        await using var bDb = UpstreamPair.OpenDb(pair.BDir);
        var credentialId = long.Parse(pair.BDemo.CredentialId, System.Globalization.CultureInfo.InvariantCulture);
        var after = await bDb.ClientSecrets.Where(s => s.CredentialId == credentialId).Select(s => s.Uuid).ToListAsync();
        Assert.Single(after);
        Assert.DoesNotContain(after[0], before);
        using var http = new HttpClient();
        using var old = await http.PostFormAsync(pair.B.BaseUrl + "/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", pair.BDemo.ClientId), ("client_secret", pair.BDemo.ClientSecret));
        Assert.Equal(400, (int)old.StatusCode); // the old secret no longer mints tokens on B
        await pair.Firefly.GenerateOkAsync("/v3/images/generate", """{"prompt":"after","size":{"width":1024,"height":1024}}""");
    }

    [Fact]
    public async Task Rotation_without_the_IO_Management_scope_names_the_missing_scope()
    {
        await using var pair = await UpstreamPair.StartAsync();
        using var bConsole = await pair.BClientAsync(KilnFactory.IoScopes);
        var service = $"/console/organizations/{pair.BDemo.OrgId}/credentials/oauth-server-to-server/{pair.BDemo.CredentialId}/service/unsubscribe";
        var res = await bConsole.PatchAsync(service, JsonContent.Create(new { sdkCode = "AdobeIOManagementAPISDK", licenseConfigs = (object?)null, roles = (object?)null }));
        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
        var rotated = await HttpAssert.JsonAsync(await pair.Admin.PostAsync(pair.OrgPath + "/upstreams/b/rotate", null), 200);
        Assert.False(rotated.GetProperty("succeeded").GetBoolean());
        Assert.Contains("manage_client_secrets", rotated.GetProperty("message").GetString());
        Assert.Contains("I/O Management API", rotated.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_upstream_secret_is_in_no_log_line_response_or_database_column()
    {
        await using var pair = await UpstreamPair.StartAsync(configureA: a => a.With("Logging:LogLevel:Default", "Trace").With("Logging:LogLevel:Microsoft", "Trace"));
        var secret = pair.BDemo.ClientSecret;
        var bodies = new List<string>
        {
            await (await pair.Admin.GetAsync(pair.OrgPath + "/upstreams")).Content.ReadAsStringAsync(),
            await (await pair.Admin.PostAsJsonAsync(pair.OrgPath + "/upstreams?replace=true", pair.Profile(secret))).Content.ReadAsStringAsync(),
            await (await pair.Admin.PostAsync(pair.OrgPath + "/upstreams/b/test", null)).Content.ReadAsStringAsync(),
            (await pair.Firefly.GenerateOkAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""")).ToString(),
        };
        Assert.Contains("\"clientId\"", bodies[0]);
        Assert.All(bodies, b => Assert.DoesNotContain(secret, b, StringComparison.Ordinal));
        Assert.NotEmpty(pair.A.Logs.Lines);
        Assert.DoesNotContain(pair.A.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        var raw = TestDatabase.RawContents(pair.A.DataDir);
        Assert.Contains("kek1:", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_org_sees_no_profile_job_or_upload_and_keeps_its_own_engine()
    {
        await using var pair = await UpstreamPair.StartAsync();
        var other = await pair.A.CreateOrgAsync("Upstream Other Org");
        var theirAdminId = await pair.A.CreateUserAsync($"their-{Guid.NewGuid():N}@upstream.test", other.OrgId, Roles.Admin);
        using var theirAdmin = await pair.A.UserClientAsync(theirAdminId, other.OrgId);
        var theirPath = $"/console/organizations/{other.OrgId}";
        Assert.Equal(0, (await HttpAssert.JsonAsync(await theirAdmin.GetAsync(theirPath + "/upstreams"), 200)).GetArrayLength());
        await HttpAssert.GatewayErrorAsync(await theirAdmin.GetAsync(pair.OrgPath + "/upstreams"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await theirAdmin.PostAsync(pair.OrgPath + "/upstreams/b/test", null), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await theirAdmin.PutAsJsonAsync(theirPath + "/engine", new { engine = "upstream:b" }), 400, "bad_request");
        Assert.Equal("procedural", (await HttpAssert.JsonAsync(await theirAdmin.GetAsync(theirPath + "/engine"), 200)).GetProperty("engine").GetString());

        // Their credential runs on procedural (B down proves it), and our job and upload are unknown to them.
        using var mine = await pair.Firefly.PostRawAsync("/v3/images/generate-async", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var job = await HttpAssert.JsonAsync(mine, 202);
        var upload = await FireflyKit.UploadAsync(pair.Firefly, FireflyKit.Image(64, 64));
        pair.B.Kill();
        using var theirs = pair.A.Authed(await pair.A.TokenAsync(other.ClientId, other.ClientSecret, KilnFactory.FireflyScopes), other.ClientId);
        await theirs.GenerateOkAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        Assert.Equal(404, (int)(await theirs.GetAsync(job.GetProperty("statusUrl").GetString())).StatusCode);
        using var similar = await theirs.PostRawAsync("/v3/images/generate-similar", "{\"image\":{\"source\":{\"uploadId\":\"" + upload + "\"}}}");
        Assert.Equal(422, (int)similar.StatusCode);
        // A developer of our org may read the engine but not change it.
        var devId = await pair.A.CreateUserAsync($"dev-{Guid.NewGuid():N}@upstream.test", pair.A.DemoOrg(), Roles.Developer);
        using var dev = await pair.A.UserClientAsync(devId, pair.A.DemoOrg());
        Assert.Equal("upstream:b", (await HttpAssert.JsonAsync(await dev.GetAsync(pair.OrgPath + "/engine"), 200)).GetProperty("engine").GetString());
        await HttpAssert.GatewayErrorAsync(await dev.PutAsJsonAsync(pair.OrgPath + "/engine", new { engine = "procedural" }), 403, "access_error");
    }

    [Fact]
    public async Task Kill_9_of_A_while_jobs_run_upstream_loses_nothing_and_runs_each_job_once()
    {
        var aDir = Directory.CreateTempSubdirectory("kiln-upstream-a-").FullName;
        var bDir = Directory.CreateTempSubdirectory("kiln-upstream-b-").FullName;
        var slow = UpstreamPair.BEnv(new() { [SlowGenerator.DelayVariable] = "3000" });
        var port = KilnProcess.FreePort();
        var env = new Dictionary<string, string> { ["Kiln__Upstream__StatusPollInterval"] = "00:00:00.200", ["Kiln__Upstream__MaxStatusPollInterval"] = "00:00:00.500" };
        var statusUrls = new List<string>();
        var log = "";
        await using var b = await KilnProcess.StartAsync(bDir, env: slow);
        try
        {
            var bDemo = JsonSerializer.Deserialize<DemoCredential>(await File.ReadAllTextAsync(Path.Combine(bDir, Bootstrap.FileName)))!;
            HttpClient http;
            await using (var first = await KilnProcess.StartAsync(aDir, port, env))
            {
                var demo = JsonSerializer.Deserialize<DemoCredential>(await File.ReadAllTextAsync(Path.Combine(aDir, Bootstrap.FileName)))!;
                await ConfigureAsync(aDir, long.Parse(demo.OrgId, System.Globalization.CultureInfo.InvariantCulture), bDemo, b.BaseUrl);
                http = new HttpClient { BaseAddress = new Uri(first.BaseUrl) };
                using var tokenRes = await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret));
                http.DefaultRequestHeaders.Authorization = new("Bearer", (await HttpAssert.JsonAsync(tokenRes, 200)).GetProperty("access_token").GetString());
                http.DefaultRequestHeaders.Add("x-api-key", demo.ClientId);
                for (var i = 0; i < 3; i++)
                {
                    using var res = await http.PostRawAsync("/v3/images/generate-async", $$$"""{"prompt":"x","seeds":[{{{60 + i}}}],"size":{"width":1024,"height":1024}}""");
                    statusUrls.Add((await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!);
                }
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (Count(first.Output, "runs upstream on b") < 3 && DateTime.UtcNow < deadline) await Task.Delay(100);
                Assert.Equal(3, Count(first.Output, "runs upstream on b"));
                log = first.Output;
                first.Kill();
            }
            await using var second = await KilnProcess.StartAsync(aDir, port, env);
            foreach (var url in statusUrls)
            {
                var done = await FireflyKit.PollAsync(http, url, seconds: 90);
                Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());
            }
            log += second.Output;
            foreach (var url in statusUrls)
                Assert.Equal(1, Count(log, "runs upstream on b", Uri.UnescapeDataString(url[(url.LastIndexOf('/') + 1)..])));
        }
        finally
        {
            try { Directory.Delete(aDir, recursive: true); Directory.Delete(bDir, recursive: true); } catch (IOException) { }
        }
    }

    private static int Count(string log, params string[] parts) => log.Split('\n').Count(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));

    /// <summary>Adds the profile "b" and makes it the org's engine straight in A's database (A runs as a process here).</summary>
    private static async Task ConfigureAsync(string aDir, long orgId, DemoCredential bDemo, string bUrl)
    {
        await using var db = UpstreamPair.OpenDb(aDir);
        var kek = UpstreamPair.KekOf(aDir);
        var id = Guid.NewGuid().ToString("N");
        db.UpstreamProfiles.Add(new UpstreamProfile
        {
            Id = id, OrgId = orgId, Name = "b", ImsBaseUrl = bUrl, FireflyBaseUrl = bUrl, ConsoleBaseUrl = bUrl, ClientId = bDemo.ClientId, Scopes = "firefly_api,ff_apis",
            SecretWrapped = kek.WrapText(System.Text.Encoding.UTF8.GetBytes(bDemo.ClientSecret), KeysAtRest.UpstreamSecretPurpose(id)), SecretVersion = 1,
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        await db.Orgs.Where(o => o.Id == orgId).ExecuteUpdateAsync(u => u.SetProperty(o => o.Engine, "upstream:b"));
    }
}
