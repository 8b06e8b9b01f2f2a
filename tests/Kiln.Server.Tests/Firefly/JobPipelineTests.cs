using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Firefly;

/// <summary>
/// How the job pipeline keeps the render slots busy (docs/firefly.md#async-jobs): a node claims jobs ahead of its free
/// slots, at most twice <c>Workers</c>, and SQLite writers wait in SQLite's busy handler. Throughput itself is measured
/// in bench/ (docs/benchmarks.md#async-throughput-issue-17), not here.
/// </summary>
public sealed class JobPipelineTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private const string Job = """{"prompt":"x","size":{"width":1024,"height":1024}}""";

    private static async Task<(string StatusUrl, string CancelUrl)> SubmitAsync(HttpClient http)
    {
        using var res = await http.PostRawAsync("/v3/images/generate-async", Job);
        var json = await HttpAssert.JsonAsync(res, 202);
        return (json.GetProperty("statusUrl").GetString()!, json.GetProperty("cancelUrl").GetString()!);
    }

    private static async Task<string> StatusAsync(HttpClient http, string statusUrl) =>
        (await HttpAssert.JsonAsync(await http.GetAsync(statusUrl), 200)).GetProperty("status").GetString()!;

    [Fact]
    public async Task With_one_slot_busy_the_next_job_is_claimed_at_once_and_a_third_waits_pending()
    {
        // One render slot, held for 30 s by the first job. The second job is claimed on its submit's signal and waits
        // for the slot as "running" (progress 0); the node holds at most 2 x Workers jobs, so the third stays pending.
        _kiln.With("Kiln:Firefly:Workers", "1").WithSlowGenerator(30000).Start();
        var http = await _kiln.DemoClientAsync();
        var first = await SubmitAsync(http);
        await FireflyKit.PollAsync(http, first.StatusUrl, j => j.GetProperty("status").GetString() == "running", seconds: 10);

        var second = await SubmitAsync(http);
        var claimed = await FireflyKit.PollAsync(http, second.StatusUrl, j => j.GetProperty("status").GetString() != "pending", seconds: 10);
        Assert.Equal("running", claimed.GetProperty("status").GetString());
        Assert.Equal(0, claimed.GetProperty("progress").GetDouble());

        var third = await SubmitAsync(http);
        await Task.Delay(1500); // more than the poll interval (1 s): the worker has looked, and is full
        Assert.Equal("pending", await StatusAsync(http, third.StatusUrl));

        // A job waiting for a slot cancels like a rendering one; the freed place takes the third job.
        Assert.Equal("canceled", (await HttpAssert.JsonAsync(await http.PutAsync(second.CancelUrl, null), 200)).GetProperty("status").GetString());
        await FireflyKit.PollAsync(http, third.StatusUrl, j => j.GetProperty("status").GetString() == "running", seconds: 10);
        Assert.Equal("running", await StatusAsync(http, first.StatusUrl));
        foreach (var cancel in new[] { first.CancelUrl, third.CancelUrl })
            Assert.Equal(200, (int)(await http.PutAsync(cancel, null)).StatusCode);
        Assert.Equal("canceled", await StatusAsync(http, second.StatusUrl));
    }

    [Fact]
    public async Task Every_SQLite_connection_waits_in_SQLites_busy_handler_for_the_default_timeout()
    {
        // Without a busy timeout Microsoft.Data.Sqlite sleeps 150 ms whenever two writers meet. The SQLite context is
        // asked directly, so the check runs in the PostgreSQL pass of the suite too.
        _kiln.Start();
        using var scope = _kiln.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SqliteKilnDb>();
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var cmd = db.Database.GetDbConnection().CreateCommand();
            cmd.CommandText = "PRAGMA busy_timeout";
            Assert.Equal(30_000L, Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
