using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kiln.Server.Core;

namespace Kiln.Load;

/// <summary>
/// Where the time of one mode of <see cref="JobsBench"/> goes, read inside the in-process Kiln: how busy the render
/// slots were (the gauge <c>kiln.render_pool.slots_in_use</c> sampled every millisecond), the database commands per
/// image (EF Core's command events), the pick-up latency of jobs (<c>kiln.jobs.pickup.duration</c>) and the mean
/// durations of Kiln's spans (claim, run, render), and the CPU time per image of this process (Kiln and the client)
/// and of PostgreSQL's processes. The same probe runs in both modes.
/// </summary>
public sealed class JobsProbe : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _spans;
    private readonly IDisposable _efSubscription;
    private readonly List<IDisposable> _inner = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _samples, _slotsBusy, _commands, _pickups;
    private double _pickupSum, _pickupMax;
    private readonly Dictionary<string, (long Count, double Ms)> _spanTimes = new(StringComparer.Ordinal);
    private int _slots;
    private TimeSpan _cpuAtReset;
    private double _postgresAtReset;

    public JobsProbe()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KilnMetrics.MeterName && instrument.Name is "kiln.render_pool.slots_in_use" or "kiln.render_pool.slots" or "kiln.jobs.pickup.duration")
                listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "kiln.render_pool.slots") _slots = value;
            else { Interlocked.Increment(ref _samples); Interlocked.Add(ref _slotsBusy, value); }
        });
        _meters.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_spanTimes) { _pickups++; _pickupSum += value; _pickupMax = Math.Max(_pickupMax, value); }
        });
        _meters.Start();
        _spans = new ActivityListener
        {
            ShouldListenTo = s => s.Name == KilnTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                // A claim that found no job is not recorded (JobWorker); count only claims that took one.
                if (a.OperationName == "kiln.jobs.claim" && a.GetTagItem(KilnTelemetry.JobId) is null) return;
                lock (_spanTimes)
                {
                    var (n, ms) = _spanTimes.GetValueOrDefault(a.OperationName);
                    _spanTimes[a.OperationName] = (n + 1, ms + a.Duration.TotalMilliseconds);
                }
            },
        };
        ActivitySource.AddActivityListener(_spans);
        _efSubscription = DiagnosticListener.AllListeners.Subscribe(new Observer<DiagnosticListener>(l =>
        {
            if (l.Name == "Microsoft.EntityFrameworkCore")
                lock (_inner) _inner.Add(l.Subscribe(new Observer<KeyValuePair<string, object?>>(e =>
                {
                    if (e.Key == "Microsoft.EntityFrameworkCore.Database.Command.CommandExecuted") Interlocked.Increment(ref _commands);
                }), name => name == "Microsoft.EntityFrameworkCore.Database.Command.CommandExecuted"));
        }));
        _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _meters.RecordObservableInstruments();
                try { await Task.Delay(1, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    /// <summary>Starts a new window (one mode of one pair).</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _samples, 0);
        Interlocked.Exchange(ref _slotsBusy, 0);
        Interlocked.Exchange(ref _commands, 0);
        lock (_spanTimes) { _spanTimes.Clear(); _pickups = 0; _pickupSum = 0; _pickupMax = 0; }
        _cpuAtReset = Process.GetCurrentProcess().TotalProcessorTime;
        _postgresAtReset = PostgresCpuMs();
    }

    /// <summary>
    /// CPU time of every process named postgres on this machine, in ms (utime + stime from /proc; a backend that
    /// exits inside a window takes its share with it, so this is a lower bound).
    /// </summary>
    private static double PostgresCpuMs()
    {
        double ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                if (close < 0 || !stat.AsSpan(0, close).EndsWith("(postgres", StringComparison.Ordinal)) continue;
                var fields = stat[(close + 2)..].Split(' ');
                ticks += double.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return ticks * 10; // USER_HZ is 100 on Linux
    }

    /// <summary>The window so far: CPU ms per image of this process and of PostgreSQL, mean share of render slots busy, DB commands per image, pick-up mean/max ms, mean span ms.</summary>
    public Window Read(int images)
    {
        lock (_spanTimes)
        {
            double Span(string name) => _spanTimes.TryGetValue(name, out var s) && s.Count > 0 ? s.Ms / s.Count : double.NaN;
            var samples = Interlocked.Read(ref _samples);
            return new Window(
                (Process.GetCurrentProcess().TotalProcessorTime - _cpuAtReset).TotalMilliseconds / images,
                (PostgresCpuMs() - _postgresAtReset) / images,
                samples == 0 || _slots == 0 ? double.NaN : (double)Interlocked.Read(ref _slotsBusy) / samples / _slots,
                (double)Interlocked.Read(ref _commands) / images,
                _pickups == 0 ? double.NaN : _pickupSum / _pickups * 1000, _pickupMax * 1000,
                Span("kiln.jobs.claim"), Span("kiln.jobs.run"), Span("kiln.images.render"));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _sampler.Wait();
        _meters.Dispose();
        _spans.Dispose();
        _efSubscription.Dispose();
        lock (_inner) foreach (var d in _inner) d.Dispose();
    }

    public sealed record Window(double CpuMsPerImage, double PostgresCpuMsPerImage, double SlotsBusy, double CommandsPerImage, double PickupMeanMs, double PickupMaxMs, double ClaimMs, double RunMs, double RenderMs);

    private sealed class Observer<T>(Action<T> next) : IObserver<T>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(T value) => next(value);
    }
}
