using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kiln.Server.Core;
using Kiln.Server.Generation;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

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

    [Fact]
    public async Task Image_durations_and_the_outage_window_are_timed_on_the_servers_clock()
    {
        // The render moves the server's (fake) clock 3 s and takes a few milliseconds of the wall clock.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var kiln = new KilnFactory(clock).WithServices(s => ClockedGenerator.Decorate(s, clock, TimeSpan.FromSeconds(3)));
        kiln.Start();
        using var recorder = new Recorder(kiln.Services.GetRequiredService<IMeterFactory>());

        using var ff = await kiln.DemoClientAsync(KilnFactory.FireflyScopes);
        using (var res = await ff.PostRawAsync("/v3/images/generate", """{"prompt":"a wren","size":{"width":1024,"height":1024}}"""))
            Assert.Equal(200, (int)res.StatusCode);
        Assert.Equal(1, recorder.Count("kiln.images.request.duration"));
        Assert.Equal(3.0, recorder.Sum("kiln.images.request.duration"), 6);

        // kiln.outage.active: 1 for 30 s of the server's clock after an outage, then 0.
        kiln.Services.GetRequiredService<KilnMetrics>().Outage("database");
        Assert.Equal(1, Gauge(recorder, "kiln.outage.active"));
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, Gauge(recorder, "kiln.outage.active"));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, Gauge(recorder, "kiln.outage.active"));
    }

    private static double Gauge(Recorder recorder, string name)
    {
        recorder.Clear();
        recorder.Observe();
        return recorder.Sum(name);
    }

    /// <summary>Moves a fake clock by <paramref name="step"/> for each image, then renders with <paramref name="inner"/>.</summary>
    private sealed class ClockedGenerator(IImageGenerator inner, FakeTimeProvider clock, TimeSpan step) : IImageGenerator
    {
        public Task<GeneratedImage> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct)
        {
            clock.Advance(step);
            return inner.GenerateAsync(request, progress, ct);
        }

        public static void Decorate(IServiceCollection services, FakeTimeProvider clock, TimeSpan step)
        {
            var inner = services.Last(d => d.ServiceType == typeof(IImageGenerator));
            services.Remove(inner);
            services.AddSingleton<IImageGenerator>(sp => new ClockedGenerator((IImageGenerator)(inner.ImplementationInstance
                ?? inner.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!)), clock, step));
        }
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
