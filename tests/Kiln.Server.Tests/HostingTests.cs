using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests;

public sealed class HostingTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Health_endpoints_report_live_and_ready()
    {
        _kiln.Start();
        var live = await HttpAssert.JsonAsync(await _kiln.Http().GetAsync("/health/live"), 200);
        Assert.Equal("Healthy", live.GetProperty("status").GetString());
        var ready = await HttpAssert.JsonAsync(await _kiln.Http().GetAsync("/health/ready"), 200);
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_document_lists_the_endpoints_and_the_reference_page_serves()
    {
        _kiln.Start();
        var doc = await HttpAssert.JsonAsync(await _kiln.Http().GetAsync("/openapi/v1.json"), 200);
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/ims/token/v3", paths);
        Assert.Contains("/console/organizations/{orgId}/credentials/{credentialId}/secrets", paths);
        var page = await _kiln.Http().GetAsync("/docs/");
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Contains("openapi", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Unknown_routes_answer_json_404()
    {
        _kiln.Start();
        await HttpAssert.GatewayErrorAsync(await _kiln.Http().GetAsync("/no/such/route"), 404, "not_found");
    }
}
