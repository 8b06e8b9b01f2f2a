using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kiln.Server.Core;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// docs/operations.md#metrics: the instruments that PrometheusTests does not move (revocations, secret events, job
/// transitions, pick-up latency, the jobs and render-pool gauges) are recorded by the flows they count, read here
/// from the "Kiln" meter of this host only (other tests' hosts record on their own meters).
/// </summary>
public sealed class MetricsTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Revocations_secret_events_jobs_and_render_pool_are_recorded()
    {
        var demo = _kiln.Start();
        using var recorder = new Recorder(_kiln.Services.GetRequiredService<IMeterFactory>());

        // A revocation (IMS invalidate).
        var doomed = await _kiln.DemoTokenAsync();
        using var http = _kiln.Http();
        using (var res = await http.PostFormAsync("/ims/invalidate_token/v2", ("token", doomed), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret)))
            Assert.Equal(200, (int)res.StatusCode);
        Assert.Equal(1, recorder.Sum("kiln.ims.revocations"));

        // Secret events: one added, one deleted.
        var io = await _kiln.DemoConsoleAsync();
        var secrets = $"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets";
        var added = await HttpAssert.JsonAsync(await io.PostEmptyAsync(secrets), 201);
        Assert.Equal(204, (int)(await io.DeleteAsync($"{secrets}/{added.GetProperty("uuid").GetString()}")).StatusCode);
        Assert.Equal(1, recorder.Sum("kiln.ims.secret.events", "event", "added"));
        Assert.Equal(1, recorder.Sum("kiln.ims.secret.events", "event", "deleted"));

        // An async job: its transitions, its pick-up latency, then the gauges.
        using var ff = await _kiln.DemoClientAsync(KilnFactory.FireflyScopes);
        using var submit = await ff.PostRawAsync("/v3/images/generate-async", """{"prompt":"a wren","size":{"width":1024,"height":1024}}""");
        var accepted = await HttpAssert.JsonAsync(submit, 202);
        await FireflyKit.PollAsync(ff, accepted.GetProperty("statusUrl").GetString()!, j => j.GetProperty("status").GetString() == "succeeded");
        foreach (var state in new[] { "pending", "running", "succeeded" })
            Assert.Equal(1, recorder.Sum("kiln.jobs.transitions", "state", state));
        Assert.Equal(1, recorder.Count("kiln.jobs.pickup.duration"));
        Assert.Equal(1, recorder.Sum("kiln.images.produced", "operation", "generate"));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            recorder.Clear();
            recorder.Observe();
            if (recorder.Sum("kiln.jobs", "state", "succeeded") == 1) break;
            Assert.True(DateTime.UtcNow < deadline, "the jobs gauge never showed the succeeded job");
            await Task.Delay(200);
        }
        Assert.Equal(0, recorder.Sum("kiln.jobs", "state", "running"));
        Assert.True(recorder.Sum("kiln.render_pool.slots") >= 1);
        Assert.Equal(1, recorder.Count("kiln.render_pool.slots_in_use"));
        Assert.Equal(1, recorder.Count("kiln.render_pool.queue_length"));
        Assert.Equal(1, recorder.Count("kiln.outage.active"));
        Assert.Equal(0, recorder.Sum("kiln.outage.active"));
    }

    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _seen = new();

        public Recorder(IMeterFactory host)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == KilnMetrics.MeterName && ReferenceEquals(i.Meter.Scope, host)) l.EnableMeasurementEvents(i);
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _seen.Enqueue((i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => _seen.Enqueue((i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _seen.Enqueue((i.Name, v, tags.ToArray())));
            _listener.Start();
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public void Clear() => _seen.Clear();

        private IEnumerable<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> Of(string name, string? tag, string? value) =>
            _seen.Where(m => m.Name == name && (tag is null || m.Tags.Any(t => t.Key == tag && (string?)t.Value == value)));

        public double Sum(string name, string? tag = null, string? value = null) => Of(name, tag, value).Sum(m => m.Value);

        public int Count(string name) => Of(name, null, null).Count();

        public void Dispose() => _listener.Dispose();
    }
}
