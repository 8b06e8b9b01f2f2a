using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>The API reference (<c>/docs</c>, Scalar) renders in Chromium under its Content-Security-Policy (docs/security.md).</summary>
public sealed class DocsPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task DocsRendersUnderItsPolicyWithNoViolations()
    {
        using var kiln = new KilnFactory();
        kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var violations = new List<string>();
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) violations.Add(m.Text); };
        var res = await page.GotoAsync("/docs");
        Assert.NotNull(res);
        Assert.Contains("frame-ancestors 'none'", (await res.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);
        // Scalar fetched the OpenAPI document and rendered its operations.
        await Assertions.Expect(page.GetByText("Firefly").First).ToBeVisibleAsync();
        await new Shots(page, nameof(DocsRendersUnderItsPolicyWithNoViolations)).TakeAsync("docs");
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
