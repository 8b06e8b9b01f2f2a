using Kiln.Client.Tests.Firefly;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Client.Tests.Tokens;

public sealed class OptionsAndDeviceFlowTests
{
    [Fact]
    public void Misconfiguration_throws_at_first_use()
    {
        var services = new ServiceCollection();
        services.AddKilnClient(o => { o.ClientId = ""; o.ImsBaseUrl = new Uri("ftp://x/"); o.FailureBackoff = TimeSpan.Zero; });
        using var sp = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<ServerToServerTokenProvider>());
        Assert.Contains("ClientId is required.", e.Failures);
        Assert.Contains("ImsBaseUrl must be an absolute http(s) URL.", e.Failures);
        Assert.Contains(e.Failures, f => f.StartsWith("FailureBackoff", StringComparison.Ordinal));
    }

    [Fact]
    public void UseAdobe_names_the_production_hosts_there_is_no_quiet_default_and_hosts_can_replace_the_provider()
    {
        Assert.Null(new KilnClientOptions().FireflyBaseUrl);
        var noBase = Assert.Throws<InvalidOperationException>(() => new FireflyClient(new HttpClient(), new KilnClientOptions()));
        Assert.Contains("no base address", noBase.Message);
        Assert.Contains("no base address", Assert.Throws<InvalidOperationException>(() => new ConsoleClient(new HttpClient(), new KilnClientOptions())).Message);
        var o = new KilnClientOptions().UseAdobe();
        Assert.Equal(new Uri("https://ims-na1.adobelogin.com"), o.ImsBaseUrl);
        Assert.Equal(new Uri("https://firefly-api.adobe.io"), o.FireflyBaseUrl);
        Assert.Equal(new Uri("https://api.adobe.io"), o.ConsoleBaseUrl);

        var services = new ServiceCollection();
        var mine = new ServerToServerTokenProvider(new HttpClient(), new KilnClientOptions { ClientId = "x", AccessToken = "fixed" });
        services.AddSingleton(mine);
        services.AddKilnClient(o => { o.UseAdobe(); o.ClientId = "x"; o.AccessToken = "t"; });
        using var sp = services.BuildServiceProvider();
        Assert.Same(mine, sp.GetRequiredService<ServerToServerTokenProvider>());
    }

    [Fact]
    public async Task Device_flow_polls_through_pending_and_slow_down_until_the_token()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var answers = new Queue<HttpResponseMessage>([
            FireflyStub.Json(200, """{"device_code":"dc","user_code":"ABCD-EFGH","verification_uri":"http://k/device","expires_in":600,"interval":5}"""),
            FireflyStub.Json(400, """{"error":"authorization_pending"}"""),
            FireflyStub.Json(400, """{"error":"slow_down"}"""),
            FireflyStub.Json(200, """{"access_token":"user-token","token_type":"bearer","expires_in":86399}"""),
        ]);
        var seen = new List<(string Path, string Body, DateTimeOffset At)>();
        var handler = new Handler(async r => { seen.Add((r.RequestUri!.AbsolutePath, await r.Content!.ReadAsStringAsync(), clock.GetUtcNow())); return answers.Dequeue(); });
        var flow = new DeviceFlowClient(new HttpClient(handler), new KilnClientOptions { TimeProvider = clock }.UseKiln(new Uri("http://k/")));

        var code = await flow.RequestCodeAsync("kiln-cli", "AdobeID, openid");
        Assert.Equal("ABCD-EFGH", code.UserCode);
        Assert.Equal(("/ims/device/code", "client_id=kiln-cli&scope=AdobeID%2Copenid"), (seen[0].Path, seen[0].Body));

        var wait = flow.WaitForTokenAsync("kiln-cli", code);
        for (var i = 0; i < 30 && !wait.IsCompleted; i++) { clock.Advance(TimeSpan.FromSeconds(1)); await Task.Delay(10); }
        var token = await wait;

        Assert.Equal("user-token", token.AccessToken);
        Assert.Equal(4, seen.Count);
        Assert.Contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code", seen[1].Body);
        Assert.True(seen[3].At - seen[2].At >= TimeSpan.FromSeconds(10)); // slow_down added 5 s to the 5 s interval
    }

    private sealed class Handler(Func<HttpRequestMessage, Task<HttpResponseMessage>> f) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) => f(request);
    }
}
