using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kiln.Client.Tests.Infrastructure;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Client.Tests.Conformance;

/// <summary>What a well-made .NET client does (docs/client.md): mockable, named and bound from configuration, logged, retried safely.</summary>
public sealed class GuidelineTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private sealed class FakeFirefly : FireflyClient
    {
        public override Task<ImagesResponse> GenerateImagesAsync(GenerateImagesRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ImagesResponse(new ImageSize(1, 1), [new OutputImage(7, ImageReference.FromUrl(new Uri("http://fake/1.jpg")))]));
    }

    private sealed class FakeConsole : ConsoleClient
    {
        public override Task<IReadOnlyList<ConsoleOrganization>> ListOrganizationsAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ConsoleOrganization>>([new ConsoleOrganization("1", null, "Fake", null, null, null)]);
    }

    [Fact]
    public async Task The_clients_can_be_mocked_by_subclassing()
    {
        FireflyClient firefly = new FakeFirefly();
        ConsoleClient console = new FakeConsole();
        Assert.Equal(7, (await firefly.GenerateImagesAsync(new GenerateImagesRequest { Prompt = "x" })).Outputs[0].Seed);
        Assert.Equal("Fake", (await console.ListOrganizationsAsync())[0].Name);
        // The Azure SDK pattern for every client a caller may want to substitute: a protected parameterless constructor and
        // virtual public methods and properties (docs/client.md#testing-code-that-uses-the-client).
        Type[] clients = [typeof(FireflyClient), typeof(ConsoleClient), typeof(DeviceFlowClient), typeof(SecretRotator)];
        Assert.All(clients, t =>
        {
            Assert.False(t.IsSealed, t.Name + " is sealed");
            var ctor = t.GetConstructor(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic, Type.EmptyTypes);
            Assert.True(ctor is { IsFamily: true }, t.Name + " has no protected parameterless constructor");
            var members = t.GetMethods().Where(m => m.DeclaringType == t && !m.IsStatic && (!m.IsSpecialName || m.Name.StartsWith("get_", StringComparison.Ordinal))).ToList();
            Assert.NotEmpty(members);
            Assert.All(members, m => Assert.True(m.IsVirtual && !m.IsFinal, $"{t.Name}.{m.Name} is not virtual"));
        });
    }

    [Fact]
    public async Task Named_clients_bound_from_configuration_each_talk_to_their_own_Kiln()
    {
        var demo = _kiln.Start();
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kiln:BaseUrl"] = _kiln.BaseAddress.ToString(),
            ["Kiln:ClientId"] = demo.ClientId,
            ["Kiln:ClientSecrets:0"] = demo.ClientSecret,
            ["Kiln:RequestTimeout"] = "00:00:30",
            ["TeamA:BaseUrl"] = "http://127.0.0.1:1/unused/",
            ["TeamA:ClientId"] = "team-a",
            ["TeamA:AccessToken"] = "team-a-token",
        }).Build();
        var services = new ServiceCollection();
        services.AddKilnClient(config.GetSection("Kiln"));
        services.AddKilnClient("team-a", config.GetSection("TeamA"));
        using var sp = services.BuildServiceProvider();

        var firefly = sp.GetRequiredService<FireflyClient>();
        var res = await firefly.GenerateImagesAsync(new GenerateImagesRequest { Prompt = "a lake", Size = new(1024, 1024) });
        Assert.Single(res.Outputs);
        Assert.NotEmpty(await sp.GetRequiredService<ConsoleClient>().ListOrganizationsAsync());

        var teamA = sp.GetRequiredKeyedService<FireflyClient>("team-a");
        Assert.Equal(new Uri("http://127.0.0.1:1/unused/"), teamA.BaseAddress);
        Assert.Equal("team-a-token", (await sp.GetRequiredKeyedService<ServerToServerTokenProvider>("team-a").GetTokenAsync()).AccessToken);
        Assert.NotSame(sp.GetRequiredService<ServerToServerTokenProvider>(), sp.GetRequiredKeyedService<ServerToServerTokenProvider>("team-a"));
        Assert.NotNull(sp.GetRequiredService<DeviceFlowClient>());
        Assert.NotNull(sp.GetRequiredKeyedService<SecretRotator>("team-a"));
    }

    [Fact]
    public async Task A_refused_connection_is_retried_even_for_a_POST()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; } // closed: refused
        var attempts = 0;
        using var sp = DefectTests.Services(o => { o.UseKiln(new Uri($"http://127.0.0.1:{port}/")); o.AccessToken = "t"; },
            b => b.Firefly.AddHttpMessageHandler(() => new Counting(() => Interlocked.Increment(ref attempts))));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => sp.GetRequiredService<FireflyClient>().GenerateImagesAsync(new GenerateImagesRequest { Prompt = "x" }));
        Assert.Equal(HttpRequestError.ConnectionError, e.HttpRequestError);
        Assert.Equal(4, attempts); // the first and three retries: nothing was ever sent
    }

    [Fact]
    public async Task A_temporary_token_endpoint_failure_does_not_stop_a_GET_from_being_retried()
    {
        var ims = 0;
        var imsHandler = new Recorder(_ => Interlocked.Increment(ref ims) == 1
            ? Recorder.Json(503, """{"error":"server_error","error_description":"warming up"}""")
            : Recorder.Json(200, Recorder.Token));
        var firefly = new Firefly.FireflyStub().Status(Firefly.FireflyStub.Succeeded());
        using var sp = DefectTests.Services(o => { o.UseKiln(Firefly.FireflyStub.Base); o.ClientSecrets.Add("s"); o.FailureBackoff = TimeSpan.FromMilliseconds(100); }, b =>
        {
            b.Ims.ConfigurePrimaryHttpMessageHandler(() => imsHandler);
            b.Firefly.ConfigurePrimaryHttpMessageHandler(() => firefly);
        });
        var client = sp.GetRequiredService<FireflyClient>();

        var status = await client.GetJobStatusAsync(client.JobFromId(Firefly.FireflyStub.JobId));

        Assert.Equal(FireflyJobState.Succeeded, status.Status);
        Assert.Equal(2, ims);
    }

    [Fact]
    public async Task Token_events_are_logged_at_their_levels_without_secrets()
    {
        var demo = _kiln.Start();
        var logs = new ListLogger();
        using var client = new ClientHarness(_kiln, o => { o.ClientSecrets.Clear(); o.ClientSecrets.Add("not-the-secret-0123456789"); o.ClientSecrets.Add(demo.ClientSecret); },
            b => b.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(logs)));
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Kiln.Client",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        var activities = new ConcurrentQueue<string>();
        listener.ActivityStopped = a => activities.Enqueue(a.OperationName);
        ActivitySource.AddActivityListener(listener);

        await client.Firefly.GenerateImagesAsync(new GenerateImagesRequest { Prompt = "x", Size = new(1024, 1024) });

        var e = logs.Entries;
        Assert.Contains(e, x => x.Level == LogLevel.Debug && x.Message.StartsWith("Requesting a token for client " + demo.ClientId, StringComparison.Ordinal));
        Assert.Contains(e, x => x.Level == LogLevel.Warning && x.Message.Contains("rejected secret #0", StringComparison.Ordinal));
        Assert.Contains(e, x => x.Level == LogLevel.Warning && x.Message.Contains("now uses secret #1 instead of #0", StringComparison.Ordinal));
        Assert.Contains(e, x => x.Level == LogLevel.Information && x.Message.StartsWith("Token issued for client", StringComparison.Ordinal));
        Assert.DoesNotContain(e, x => x.Message.Contains(demo.ClientSecret, StringComparison.Ordinal) || x.Message.Contains("not-the-secret", StringComparison.Ordinal));
        Assert.DoesNotContain(e, x => x.Category.StartsWith("Polly", StringComparison.Ordinal) && x.Level >= LogLevel.Information);
        Assert.Contains("Kiln.Token", activities);
    }

    [Fact]
    public async Task Token_backoff_retries_and_failed_job_polls_are_logged_at_their_levels()
    {
        // A token endpoint that fails once: the backoff (Warning) and the retry of the GET (Information, no stack trace).
        var logs = new ListLogger();
        var ims = 0;
        var imsHandler = new Recorder(_ => Interlocked.Increment(ref ims) == 1
            ? Recorder.Json(503, """{"error":"server_error","error_description":"warming up"}""")
            : Recorder.Json(200, Recorder.Token));
        var firefly = new Firefly.FireflyStub().Status(Firefly.FireflyStub.Succeeded());
        using (var sp = DefectTests.Services(o => { o.UseKiln(Firefly.FireflyStub.Base); o.ClientSecrets.Add("s"); o.FailureBackoff = TimeSpan.FromMilliseconds(100); }, b =>
        {
            b.Ims.ConfigurePrimaryHttpMessageHandler(() => imsHandler);
            b.Firefly.ConfigurePrimaryHttpMessageHandler(() => firefly);
            b.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        }))
        {
            var client = sp.GetRequiredService<FireflyClient>();
            await client.GetJobStatusAsync(client.JobFromId(Firefly.FireflyStub.JobId));
        }
        Assert.Contains(logs.Entries, x => x.Category == "Kiln.Client.ServerToServerTokenProvider" && x.Level == LogLevel.Warning
            && x.Message.Contains("failed: server_error (HTTP 503)", StringComparison.Ordinal) && x.Message.Contains("next attempt in", StringComparison.Ordinal));
        var retry = Assert.Single(logs.Entries, x => x.Category == "Kiln.Client.Resilience");
        Assert.Equal(LogLevel.Information, retry.Level);
        Assert.StartsWith("Retrying GET /v3/status/", retry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", retry.Message, StringComparison.Ordinal); // no exception, so no stack trace

        // A failed poll while waiting (Warning), the job's end (Information) and the Kiln.WaitForJob span.
        var pollLogs = new ListLogger();
        using var factory = LoggerFactory.Create(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(pollLogs));
        var stub = new Firefly.FireflyStub()
            .Status(_ => Firefly.FireflyStub.Json(503, """{"error_code":"model_not_loaded","message":"warming up"}"""))
            .Status(Firefly.FireflyStub.Succeeded());
        var options = new KilnClientOptions { ClientId = "stub", JobPollInterval = TimeSpan.FromMilliseconds(20), MaxJobPollInterval = TimeSpan.FromMilliseconds(50) }
            .UseKiln(Firefly.FireflyStub.Base);
        var waiter = new FireflyClient(new HttpClient(stub), options, factory.CreateLogger<FireflyClient>());
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Kiln.Client",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        var spans = new ConcurrentQueue<(string Name, string? JobId)>();
        listener.ActivityStopped = a => spans.Enqueue((a.OperationName, a.GetTagItem("kiln.job_id") as string));
        ActivitySource.AddActivityListener(listener);

        await waiter.WaitForJobAsync(Firefly.FireflyStub.Job);

        Assert.Contains(pollLogs.Entries, x => x.Level == LogLevel.Warning && x.Message.StartsWith("Status poll 1 of job " + Firefly.FireflyStub.JobId + " failed, still waiting", StringComparison.Ordinal));
        Assert.Contains(pollLogs.Entries, x => x.Level == LogLevel.Information && x.Message.Contains("ended as Succeeded", StringComparison.Ordinal));
        Assert.Contains(("Kiln.WaitForJob", Firefly.FireflyStub.JobId), spans);
    }

    [Fact]
    public async Task Disposing_the_provider_cancels_a_renewal_in_flight()
    {
        var ims = new Hang();
        var o = new KilnClientOptions { ClientId = "id" }.UseKiln(new Uri("http://ims.test/"));
        o.ClientSecrets.Add("s");
        var provider = new ServerToServerTokenProvider(new HttpClient(ims), o);

        var pending = provider.TryGetTokenAsync();
        await ims.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await provider.DisposeAsync();

        await ims.Canceled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False((await pending).IsSuccess);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => provider.TryGetTokenAsync());
    }

    /// <summary>A token endpoint that never answers, and says when its request was canceled.</summary>
    private sealed class Hang : HttpMessageHandler
    {
        public TaskCompletionSource Entered { get; } = new();
        public TaskCompletionSource Canceled { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Entered.TrySetResult();
            try { await Task.Delay(TimeSpan.FromSeconds(30), ct); }
            catch (OperationCanceledException) { Canceled.TrySetResult(); throw; }
            return Recorder.Json(200, Recorder.Token);
        }
    }

    private sealed class Counting(Action count) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            count();
            return base.SendAsync(request, ct);
        }
    }
}

/// <summary>Every log entry, with its level and category.</summary>
public sealed class ListLogger : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();
    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries => [.. _entries];
    public ILogger CreateLogger(string categoryName) => new L(this, categoryName);
    public void Dispose() { }

    private sealed class L(ListLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((category, logLevel, formatter(state, exception) + (exception is null ? "" : "\n" + exception)));
    }
}
