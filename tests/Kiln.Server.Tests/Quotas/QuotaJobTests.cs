using System.Net;
using System.Text.Json;
using Kiln.Server.Generation;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Quotas;

/// <summary>
/// Async jobs and quotas (docs/firefly.md#quotas-and-usage): a job reserves its images at submit and keeps them when it
/// succeeds; a canceled or failed job gives them back. Counts stay exact when many submits race.
/// </summary>
public sealed class QuotaJobTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private async Task<JsonElement> CredentialQuotaAsync(HttpClient admin) =>
        await HttpAssert.JsonAsync(await admin.GetAsync($"/console/organizations/{_kiln.Demo.OrgId}/credentials/{_kiln.Demo.CredentialId}/quotas"), 200);

    [Fact]
    public async Task A_finished_job_counts_its_images_in_usage_and_quota()
    {
        var demo = _kiln.With("Kiln:Quotas:Credential:PerDay", "5").Start();
        using var http = await _kiln.DemoClientAsync();
        var accepted = await HttpAssert.JsonAsync(await http.GenerateAsync(3, async: true), 202);
        var done = await FireflyKit.PollAsync(http, accepted.GetProperty("statusUrl").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        await http.GenerateOkAsync("/v3/images/generate", QuotaKit.Body(2));
        using (var refused = await http.GenerateAsync(1, async: true)) await QuotaKit.AssertQuota429Async(refused);

        using var admin = await _kiln.AdminAsync();
        Assert.Equal(5, (await CredentialQuotaAsync(admin)).Long("used", "day"));
        var usage = await admin.UsageAsync(demo.OrgId, "?groupBy=operation,engine");
        var row = Assert.Single(usage.GetProperty("rows").EnumerateArray());
        Assert.Equal("generate", row.GetProperty("operation").GetString());
        Assert.Equal("procedural", row.GetProperty("engine").GetString());
        Assert.Equal(5, row.Long("images"));
        Assert.Equal(2, row.Long("requests"));
        Assert.Equal(1, row.Long("quota_refusals"));
    }

    [Fact]
    public async Task A_canceled_job_gives_its_images_back_once()
    {
        var demo = _kiln.With("Kiln:Quotas:Credential:PerDay", "2").WithSlowGenerator(600_000).Start();
        using var http = await _kiln.DemoClientAsync();
        var first = await HttpAssert.JsonAsync(await http.GenerateAsync(2, async: true), 202);
        using (var refused = await http.GenerateAsync(1, async: true)) await QuotaKit.AssertQuota429Async(refused);

        var cancelUrl = first.GetProperty("cancelUrl").GetString()!;
        await HttpAssert.JsonAsync(await http.PutAsync(cancelUrl, null), 200);
        using (var again = await http.PutAsync(cancelUrl, null)) Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        using var admin = await _kiln.AdminAsync();
        Assert.Equal(0, (await CredentialQuotaAsync(admin)).Long("used", "day"));
        var totals = (await admin.UsageAsync(demo.OrgId)).GetProperty("totals");
        Assert.Equal(0, totals.Long("images"));
        Assert.Equal(0, totals.Long("requests"));
        Assert.Equal(1, totals.Long("quota_refusals"));
        // The two images are free again, exactly two.
        await HttpAssert.JsonAsync(await http.GenerateAsync(2, async: true), 202);
        using (var full = await http.GenerateAsync(1, async: true)) await QuotaKit.AssertQuota429Async(full);
    }

    [Fact]
    public async Task Racing_cancels_of_one_job_give_its_images_back_exactly_once()
    {
        var demo = _kiln.With("Kiln:Quotas:Credential:PerDay", "3").WithSlowGenerator(600_000).Start();
        using var http = await _kiln.DemoClientAsync();
        await HttpAssert.JsonAsync(await http.GenerateAsync(1, async: true), 202); // stays held: the images of a second job
        var job = await HttpAssert.JsonAsync(await http.GenerateAsync(2, async: true), 202);
        var cancelUrl = job.GetProperty("cancelUrl").GetString()!;

        var statuses = await Race.AllAsync(12, _ => http.PutAsync(cancelUrl, null));
        Assert.Equal(1, statuses.Count(HttpStatusCode.OK));
        Assert.Equal(11, statuses.Count(HttpStatusCode.Conflict));

        using var admin = await _kiln.AdminAsync();
        Assert.Equal(1, (await CredentialQuotaAsync(admin)).Long("used", "day")); // the other job's image only, not less
        var totals = (await admin.UsageAsync(demo.OrgId)).GetProperty("totals");
        Assert.Equal((1L, 1L), (totals.Long("images"), totals.Long("requests")));
    }

    [Fact]
    public async Task A_job_that_holds_images_keeps_them_through_a_downgrade_and_the_upgrade_and_gives_them_back_once()
    {
        var demo = _kiln.With("Kiln:Quotas:Credential:PerDay", "2").WithSlowGenerator(600_000).Start();
        using var http = await _kiln.DemoClientAsync();
        var job = await HttpAssert.JsonAsync(await http.GenerateAsync(2, async: true), 202);

        // The schema before the hold moved onto the job row, then the newest again: the hold goes to its own table and back.
        var heldBefore = await _kiln.WithDbAsync(async (db, _) =>
        {
            var all = db.Database.GetMigrations().ToList();
            var at = all.FindIndex(m => m.EndsWith("_JobQuotaHold", StringComparison.Ordinal));
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync(all[at - 1]);
            var rows = await db.Database.SqlQueryRaw<string>("""SELECT "Keys" AS "Value" FROM "QuotaHolds" """).ToListAsync();
            await migrator.MigrateAsync(all[^1]);
            return rows;
        });
        Assert.Contains($"c:{demo.CredentialId}:d:", Assert.Single(heldBefore), StringComparison.Ordinal);
        using (var full = await http.GenerateAsync(1, async: true)) await QuotaKit.AssertQuota429Async(full); // still held

        await HttpAssert.JsonAsync(await http.PutAsync(job.GetProperty("cancelUrl").GetString()!, null), 200);
        using var admin = await _kiln.AdminAsync();
        Assert.Equal(0, (await CredentialQuotaAsync(admin)).Long("used", "day"));
        // Given back to the row it was counted in: the credential's, for this operation and engine.
        var rows = (await admin.UsageAsync(demo.OrgId, "?groupBy=project,credential,operation,engine")).GetProperty("rows").EnumerateArray().ToList();
        var row = Assert.Single(rows);
        Assert.Equal(demo.CredentialId, row.GetProperty("credential_id").GetString());
        Assert.Equal((0L, 0L, 1L), (row.Long("images"), row.Long("requests"), row.Long("quota_refusals")));
        await HttpAssert.JsonAsync(await http.GenerateAsync(2, async: true), 202);
        using (var again = await http.GenerateAsync(1, async: true)) await QuotaKit.AssertQuota429Async(again);
    }

    private sealed class FailingGenerator : IImageGenerator
    {
        public Task<GeneratedImage> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct) =>
            throw new InvalidImageInputException("the engine refused this input");
    }

    [Fact]
    public async Task A_failed_job_and_a_failed_sync_request_give_their_images_back()
    {
        var demo = _kiln.With("Kiln:Quotas:Credential:PerDay", "2").WithServices(s => s.AddSingleton<IImageGenerator, FailingGenerator>()).Start();
        using var http = await _kiln.DemoClientAsync();
        var job = await HttpAssert.JsonAsync(await http.GenerateAsync(2, async: true), 202);
        var failed = await FireflyKit.PollAsync(http, job.GetProperty("statusUrl").GetString()!);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        await HttpAssert.JsonAsync(await http.GenerateAsync(2), 422);
        // Neither kept its images: a third request for two is admitted (and fails again).
        await HttpAssert.JsonAsync(await http.GenerateAsync(2), 422);

        using var admin = await _kiln.AdminAsync();
        Assert.Equal(0, (await CredentialQuotaAsync(admin)).Long("used", "day"));
        var totals = (await admin.UsageAsync(demo.OrgId)).GetProperty("totals");
        Assert.Equal(0, totals.Long("images"));
        Assert.Equal(0, totals.Long("requests"));
    }

    [Fact]
    public async Task Racing_submits_admit_exactly_the_limit()
    {
        var demo = _kiln.With("Kiln:Quotas:Credential:PerDay", "10").WithSlowGenerator(600_000).Start();
        using var http = await _kiln.DemoClientAsync();
        var statuses = await Race.AllAsync(25, _ => http.GenerateAsync(1, async: true));
        Assert.Equal(10, statuses.Count(HttpStatusCode.Accepted));
        Assert.Equal(15, statuses.Count(HttpStatusCode.TooManyRequests));

        using var admin = await _kiln.AdminAsync();
        Assert.Equal(10, (await CredentialQuotaAsync(admin)).Long("used", "day"));
        var totals = (await admin.UsageAsync(demo.OrgId)).GetProperty("totals");
        Assert.Equal(10, totals.Long("images"));
        Assert.Equal(15, totals.Long("quota_refusals"));
    }
}
