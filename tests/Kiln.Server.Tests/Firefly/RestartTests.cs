using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.Firefly;

/// <summary>A job accepted with 202 is never lost: kill -9 Kiln mid-job, restart it on the same data, the job succeeds.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("kiln-restart-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Job_in_flight_survives_kill_9_and_restart()
    {
        var port = KilnProcess.FreePort();
        var slow = new Dictionary<string, string> { [SlowGenerator.DelayVariable] = "20000" };
        string statusUrl;
        HttpClient http;
        await using (var first = await KilnProcess.StartAsync(_dataDir, port, slow))
        {
            var demo = JsonSerializer.Deserialize<DemoCredential>(await File.ReadAllTextAsync(Path.Combine(_dataDir, Bootstrap.FileName)))!;
            http = new HttpClient { BaseAddress = new Uri(first.BaseUrl) };
            using var tokenRes = await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret));
            var token = (await HttpAssert.JsonAsync(tokenRes, 200)).GetProperty("access_token").GetString();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            http.DefaultRequestHeaders.Add("x-api-key", demo.ClientId);

            using var res = await http.PostRawAsync("/v3/images/generate-async", """{"prompt":"x","seeds":[5],"size":{"width":1024,"height":1024}}""");
            statusUrl = (await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!;
            await FireflyKit.PollAsync(http, statusUrl, j => j.GetProperty("status").GetString() == "running");
            first.Kill();
        }

        await using var second = await KilnProcess.StartAsync(_dataDir, port);
        using (http)
        {
            var done = await FireflyKit.PollAsync(http, statusUrl, seconds: 60);
            Assert.Equal("succeeded", done.GetProperty("status").GetString());
            var url = done.GetProperty("result").GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
            Assert.Equal(5, done.GetProperty("result").GetProperty("outputs")[0].GetProperty("seed").GetInt32());
            FireflyKit.AssertJpeg(await FireflyKit.DownloadAsync(url), 1024, 1024);
        }
    }
}
