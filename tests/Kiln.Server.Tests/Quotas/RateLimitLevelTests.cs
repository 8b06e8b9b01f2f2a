using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Quotas;

/// <summary>
/// A quota's 429 names the level whose limit was reached in <c>x-access-rate-limit-level</c>, sync and async
/// (docs/upstream.md#quotas-and-usage): <c>org</c> for the org's limit, <c>account</c> for a project's or a credential's.
/// </summary>
public sealed class RateLimitLevelTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 10, 0, 5, TimeSpan.Zero));
    private readonly KilnFactory _kiln;

    public RateLimitLevelTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    [Theory]
    [InlineData("org", "org")]
    [InlineData("project", "account")]
    [InlineData("credential", "account")]
    public async Task A_quota_429_says_which_level_is_full(string scope, string level)
    {
        var demo = _kiln.Start();
        using var admin = await _kiln.AdminAsync();
        var path = scope switch { "org" => "", "project" => $"/projects/{demo.ProjectId}", _ => $"/credentials/{demo.CredentialId}" };
        await admin.SetQuotaAsync(demo.OrgId, path, new { per_minute = 1 });
        using var http = await _kiln.DemoClientAsync();
        await http.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(1));

        foreach (var async in new[] { false, true })
        {
            using var full = await http.GenerateAsync(1, async);
            await QuotaKit.AssertQuota429Async(full);
            Assert.True(full.Headers.TryGetValues("x-access-rate-limit-level", out var values), $"async={async}: no x-access-rate-limit-level");
            Assert.Equal(level, Assert.Single(values));
        }
    }
}
