using System.Text.Json;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Quotas;

/// <summary>Image quotas over HTTP (docs/firefly.md#quotas-and-usage): the 429 with Retry-After, windows rolling on the clock, teams apart.</summary>
public sealed class QuotaTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 10, 0, 5, TimeSpan.Zero));
    private readonly KilnFactory _kiln;

    public QuotaTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task A_credential_at_its_limit_gets_429_with_retry_after_until_the_minute_rolls()
    {
        var demo = _kiln.Start();
        using var admin = await _kiln.AdminAsync();
        var set = await admin.SetQuotaAsync(demo.OrgId, $"/credentials/{demo.CredentialId}", new { per_minute = 3 });
        Assert.Equal(3, set.GetProperty("effective").GetProperty("per_minute").GetInt32());
        using var http = await _kiln.DemoClientAsync();

        Assert.Equal(2, (await http.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(2))).GetProperty("outputs").GetArrayLength());
        // Two more would make 4 > 3: refused, and the wait is until the minute ends (10:00:05 -> 55 s).
        using (var over = await http.GenerateAsync(2)) Assert.Equal(55, await QuotaKit.AssertQuota429Async(over));
        await http.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(1));
        using (var full = await http.GenerateAsync(1, async: true)) Assert.Equal(55, await QuotaKit.AssertQuota429Async(full));

        var used = await HttpAssert.JsonAsync(await admin.GetAsync($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/quotas"), 200);
        Assert.Equal(3, used.Long("used", "minute"));

        _clock.Advance(TimeSpan.FromSeconds(56));
        await http.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(2));
        using (var accepted = await http.GenerateAsync(1, async: true)) await HttpAssert.JsonAsync(accepted, 202);
    }

    [Fact]
    public async Task A_request_for_more_images_than_a_whole_window_allows_is_422_not_a_wait()
    {
        var demo = _kiln.With("Kiln:Quotas:Credential:PerMinute", "2").Start();
        using var http = await _kiln.DemoClientAsync();
        using var res = await http.GenerateAsync(3);
        var err = await HttpAssert.JsonAsync(res, 422);
        Assert.Equal("validation_error", err.GetProperty("error_code").GetString());
        Assert.Equal(JsonSerializer.Serialize(new[] { "body", "numVariations" }), err.GetProperty("validation_errors")[0].GetProperty("loc").GetRawText());
        Assert.False(res.Headers.Contains("retry-after"));
        await http.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(2));
        _ = demo;
    }

    [Fact]
    public async Task One_team_exhausting_its_daily_quota_leaves_another_team_untouched()
    {
        var demo = _kiln.Start();
        using var admin = await _kiln.AdminAsync();
        await admin.SetQuotaAsync(demo.OrgId, $"/projects/{demo.ProjectId}", new { per_day = 2 });
        var (teamB, secretB, _, credB) = await _kiln.SeedCredentialAsync(_kiln.DemoOrg());
        using var a = await _kiln.DemoClientAsync();
        using var b = _kiln.Authed(await _kiln.TokenAsync(teamB, secretB, KilnFactory.FireflyScopes), teamB);

        await a.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(2));
        // Team A's day is full until midnight UTC: 86400 - 10:00:05 = 50395 s.
        using (var refused = await a.GenerateAsync(1)) Assert.Equal(50395, await QuotaKit.AssertQuota429Async(refused));
        for (var i = 0; i < 3; i++) await b.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(1));

        var byCredential = await admin.UsageAsync(demo.OrgId, "?groupBy=credential");
        var rows = byCredential.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("credential_id").GetString()!);
        Assert.Equal(2, rows[demo.CredentialId].Long("images"));
        Assert.Equal(1, rows[demo.CredentialId].Long("quota_refusals"));
        Assert.Equal(3, rows[credB.ToString(System.Globalization.CultureInfo.InvariantCulture)].Long("images"));
        Assert.Equal(0, rows[credB.ToString(System.Globalization.CultureInfo.InvariantCulture)].Long("quota_refusals"));

        _clock.Advance(TimeSpan.FromSeconds(50395));
        await a.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(2));
    }

    [Fact]
    public async Task An_org_limit_applies_to_every_credential_of_the_org_and_the_month_window_too()
    {
        var demo = _kiln.With("Kiln:Quotas:Org:PerMonth", "3").Start();
        var (other, secret, _, _) = await _kiln.SeedCredentialAsync(_kiln.DemoOrg());
        using var a = await _kiln.DemoClientAsync();
        using var b = _kiln.Authed(await _kiln.TokenAsync(other, secret, KilnFactory.FireflyScopes), other);
        await a.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(2));
        await b.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(1));
        // 2026-11-29 10:00:05 to 2026-12-01 00:00:00.
        using (var refused = await b.GenerateAsync(1)) Assert.Equal(2 * 86400 - 36005, await QuotaKit.AssertQuota429Async(refused));
        using var admin = await _kiln.AdminAsync();
        var quotas = await HttpAssert.JsonAsync(await admin.GetAsync($"/console/organizations/{demo.OrgId}/quotas"), 200);
        Assert.Equal("org", quotas[0].GetProperty("scope").GetString());
        Assert.Equal(3, quotas[0].Long("used", "month"));
        Assert.Equal(JsonValueKind.Null, quotas[0].GetProperty("limits").GetProperty("per_month").ValueKind); // the default, not its own
        Assert.Equal(3, quotas[0].Long("effective", "per_month"));
    }

    [Fact]
    public async Task Only_admins_set_quotas_and_other_orgs_see_nothing()
    {
        var demo = _kiln.Start();
        using var developer = await _kiln.DemoConsoleAsync(); // the demo credential with adobeio_api: a developer
        using (var res = await developer.PutAsync($"/console/organizations/{demo.OrgId}/quotas", System.Net.Http.Json.JsonContent.Create(new { per_day = 1 })))
            await HttpAssert.GatewayErrorAsync(res, 403, "access_error");
        using var admin = await _kiln.AdminAsync();
        using (var res = await admin.PutAsync($"/console/organizations/{demo.OrgId}/quotas", System.Net.Http.Json.JsonContent.Create(new { per_day = 0 })))
            await HttpAssert.GatewayErrorAsync(res, 400, "bad_request");
        using var http = await _kiln.DemoClientAsync();
        await http.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(1));

        var other = await _kiln.CreateOrgAsync();
        using var stranger = _kiln.Authed(await _kiln.TokenAsync(other.ClientId, other.ClientSecret, KilnFactory.IoScopes), other.ClientId);
        foreach (var path in new[] { "/usage", $"/projects/{demo.ProjectId}/usage", "/quotas", $"/credentials/{demo.CredentialId}/quotas" })
            using (var res = await stranger.GetAsync($"/console/organizations/{demo.OrgId}{path}"))
                await HttpAssert.GatewayErrorAsync(res, 404, "not_found");
        // Their own usage is empty: the demo org's images are not theirs.
        var theirs = await stranger.UsageAsync(other.OrgId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, theirs.Long("totals", "images"));
        Assert.Equal(1, (await developer.UsageAsync(demo.OrgId)).Long("totals", "images"));
    }
}
