using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Ims;

/// <summary>A restart keeps every row, keeps the keys, does not bootstrap again, and flushes usage on a clean stop.</summary>
public sealed class RestartDurabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-restart-").FullName;

    public void Dispose()
    {
        TestDatabase.Drop(_dir);
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task Restart_keeps_data_and_tokens_and_does_not_bootstrap_again()
    {
        var first = await KilnProcess.StartAsync(_dir);
        var demo = (await Bootstrap.ReadFileAsync(_dir, default))!;
        var demoFile = await File.ReadAllTextAsync(Path.Combine(_dir, Bootstrap.FileName));
        Assert.Contains("curl", first.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, Bootstrap.FileName)));

        using var http = new HttpClient { BaseAddress = new Uri(first.BaseUrl) };
        var token = await TokenAsync(http, demo.ClientId, demo.ClientSecret);
        var secretsUrl = $"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets";
        var added = await Send(http, HttpMethod.Post, secretsUrl, token, demo.ClientId);
        var newSecret = added.GetProperty("client_secret").GetString()!;
        var newUuid = added.GetProperty("uuid").GetString()!;
        await TokenAsync(http, demo.ClientId, newSecret); // usage recorded in memory only
        await first.StopAsync();                         // clean stop flushes it

        await using var second = await KilnProcess.StartAsync(_dir);
        using var http2 = new HttpClient { BaseAddress = new Uri(second.BaseUrl) };
        Assert.DoesNotContain("Kiln is ready", second.Output);
        Assert.Equal(demoFile, await File.ReadAllTextAsync(Path.Combine(_dir, Bootstrap.FileName)));

        // The token minted before the restart still verifies: the keys were kept.
        var list = await Send(http2, HttpMethod.Get, secretsUrl, token, demo.ClientId);
        var secrets = list.GetProperty("client_secrets").EnumerateArray().ToList();
        Assert.Equal(2, secrets.Count);
        var used = secrets.Single(s => s.GetProperty("uuid").GetString() == newUuid);
        Assert.Equal(JsonValueKind.Array, used.GetProperty("secret_usages").ValueKind);
        Assert.Single((await OrgsAsync(http2, token)).EnumerateArray());
        await TokenAsync(http2, demo.ClientId, newSecret);
    }

    private static async Task<string> TokenAsync(HttpClient http, string id, string secret)
    {
        var res = await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret));
        return (await HttpAssert.JsonAsync(res, 200)).GetProperty("access_token").GetString()!;
    }

    private static async Task<JsonElement> Send(HttpClient http, HttpMethod method, string url, string token, string apiKey)
    {
        using var req = new HttpRequestMessage(method, url);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Add("x-api-key", apiKey);
        var res = await http.SendAsync(req);
        return await HttpAssert.JsonAsync(res, method == HttpMethod.Post ? 201 : 200);
    }

    private static async Task<JsonElement> OrgsAsync(HttpClient http, string token)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "/ims/organizations/v6");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await (await http.SendAsync(req)).Content.ReadFromJsonAsync<JsonElement>();
    }
}
