using System.Net;
using Kiln.Server.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Firefly;

/// <summary>
/// The SSRF rule of docs/firefly.md#source-urls-and-ssrf. A local image server counts every request it gets, so a refusal is only
/// believed when the server was never reached; positive controls show the same server is reachable when allowed.
/// </summary>
public sealed class SsrfTests : IDisposable
{
    private static readonly byte[] Png = FireflyKit.Image(640, 640);
    private readonly KilnFactory _kiln = new();
    private readonly TinyHttpServer _server;

    public SsrfTests() => _server = new TinyHttpServer(_ => (200, null, Png));

    public void Dispose()
    {
        _kiln.Dispose();
        _server.Dispose();
    }

    private static string Similar(string url) => """{"image":{"source":{"url":"URL"}},"size":{"width":1024,"height":1024}}""".Replace("URL", url, StringComparison.Ordinal);

    private static async Task AssertRefusedAsync(HttpResponseMessage res, string because)
    {
        var json = await HttpAssert.JsonAsync(res, 422);
        Assert.Equal("validation_error", json.GetProperty("error_code").GetString());
        var error = json.GetProperty("validation_errors")[0];
        Assert.Equal(["body", "image", "source", "url"], error.GetProperty("loc").EnumerateArray().Select(x => x.GetString()));
        Assert.Contains(because, error.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task Loopback_private_link_local_and_encoded_addresses_are_refused_without_a_request()
    {
        _kiln.With("Kiln:Firefly:AllowedSourceHosts:0", "*")
            .WithServices(s => s.AddSingleton<ISourceHostResolver>(new MapResolver(new() { ["evil.test"] = IPAddress.Loopback })))
            .Start();
        using var http = await _kiln.DemoClientAsync();
        var p = _server.Port;
        foreach (var url in new[]
        {
            $"http://127.0.0.1:{p}/a.png", $"http://10.1.2.3:{p}/a.png", $"http://169.254.169.254:{p}/latest/meta-data",
            $"http://[::1]:{p}/a.png", $"http://2130706433:{p}/a.png", $"http://0177.0.0.1:{p}/a.png", $"http://0x7f000001:{p}/a.png",
            $"http://[::ffff:127.0.0.1]:{p}/a.png", $"http://192.168.1.1:{p}/a.png", $"http://0.0.0.0:{p}/a.png",
        })
            await AssertRefusedAsync(await http.PostRawAsync("/v3/images/generate-similar", Similar(url)), "not allowed");
        // A name that resolves to loopback is refused at connect time.
        await AssertRefusedAsync(await http.PostRawAsync("/v3/images/generate-similar", Similar($"http://evil.test:{p}/a.png")), "not allowed");
        Assert.Empty(_server.Hits);
    }

    [Fact]
    public async Task Default_host_list_refuses_other_hosts()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        await AssertRefusedAsync(await http.PostRawAsync("/v3/images/generate-similar", Similar("https://example.com/a.png")), "not in the allowed hosts");
        await AssertRefusedAsync(await http.PostRawAsync("/v3/images/generate-similar-async", Similar("https://amazonaws.com.evil.net/a.png")), "not in the allowed hosts");
    }

    [Fact]
    public async Task Redirect_to_a_private_address_is_refused_even_when_the_first_hop_is_allowed()
    {
        var p = _server.Port;
        using var redirecting = new TinyHttpServer(path => path switch
        {
            "/to-ip" => (302, $"http://127.0.0.2:{p}/secret.png", []),
            "/to-name" => (302, $"http://inside.test:{p}/secret.png", []),
            _ => (200, null, Png),
        });
        _kiln.With("Kiln:Firefly:AllowedSourceHosts:0", "*")
            .With("Kiln:Firefly:AllowedPrivateSourceAddresses:0", "127.0.0.1") // only the first hop's address
            .WithServices(s => s.AddSingleton<ISourceHostResolver>(new MapResolver(new() { ["inside.test"] = IPAddress.Parse("127.0.0.2") })))
            .Start();
        using var http = await _kiln.DemoClientAsync();

        // Positive control: the allowed address is fetched and rendered from.
        await FireflyKit.GenerateOkAsync(http, "/v3/images/generate-similar", Similar($"http://127.0.0.1:{redirecting.Port}/ok.png"));
        Assert.Equal(["/ok.png"], redirecting.Hits);

        await AssertRefusedAsync(await http.PostRawAsync("/v3/images/generate-similar", Similar($"http://127.0.0.1:{redirecting.Port}/to-ip")), "not allowed");
        await AssertRefusedAsync(await http.PostRawAsync("/v3/images/generate-similar", Similar($"http://127.0.0.1:{redirecting.Port}/to-name")), "not allowed");
        Assert.Equal(["/ok.png", "/to-ip", "/to-name"], redirecting.Hits);
        Assert.Empty(_server.Hits); // 127.0.0.2 would have reached this server: it never did
    }

    [Fact]
    public async Task Kilns_own_presigned_url_works_as_a_source()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        var first = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var url = first.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate-similar", Similar(url));
        Assert.Equal(1024, json.GetProperty("size").GetProperty("width").GetInt32());
    }
}
