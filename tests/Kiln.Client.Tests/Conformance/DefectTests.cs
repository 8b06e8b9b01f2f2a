using System.Net;
using System.Net.Sockets;
using Kiln.Client.Tests.Firefly;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kiln.Client.Tests.Conformance;

/// <summary>The six defects of the client's conformance issue (docs/client.md), each pinned by a test that failed before the fix.</summary>
public sealed class DefectTests
{
    private static readonly Uri Prefixed = new("http://kiln.test:8080/some/prefix/");

    // 1. A base URL's path is kept for Firefly, Console, IMS and device-flow URLs.
    [Theory]
    [InlineData("http://kiln.test:8080/some/prefix/")]
    [InlineData("http://kiln.test:8080/some/prefix")]
    public async Task A_base_url_path_is_kept_for_every_service(string baseUrl)
    {
        var recorder = new Recorder(r => r.RequestUri!.AbsolutePath switch
        {
            var p when p.EndsWith("/ims/token/v3", StringComparison.Ordinal) => Recorder.Json(200, Recorder.Token),
            var p when p.EndsWith("/ims/device/code", StringComparison.Ordinal) =>
                Recorder.Json(200, """{"device_code":"d","user_code":"U","verification_uri":"http://x/","expires_in":600,"interval":5}"""),
            var p when p.Contains("/console/", StringComparison.Ordinal) => Recorder.Json(200, "[]"),
            _ => Recorder.Json(200, Recorder.Images),
        });
        var o = new KilnClientOptions { ClientId = "id" }.UseKiln(new Uri(baseUrl));
        o.ClientSecrets.Add("s");
        var tokens = new ServerToServerTokenProvider(new HttpClient(recorder), o);
        var authed = new HttpClient(new KilnAuthHandler(tokens, o) { InnerHandler = recorder });

        await new FireflyClient(authed, o).GenerateImagesAsync(new GenerateImagesRequest { Prompt = "x" });
        await new ConsoleClient(authed, o).ListOrganizationsAsync();
        await new DeviceFlowClient(new HttpClient(recorder), o).RequestCodeAsync("cli", null);
        var job = new FireflyClient(authed, o).JobFromId("urn:ff:jobs:1");

        Assert.Equal([
            "http://kiln.test:8080/some/prefix/ims/token/v3",
            "http://kiln.test:8080/some/prefix/v3/images/generate",
            "http://kiln.test:8080/some/prefix/ims/token/v3", // the Console scopes get their own token
            "http://kiln.test:8080/some/prefix/console/organizations",
            "http://kiln.test:8080/some/prefix/ims/device/code",
        ], recorder.Urls.Select(u => u.AbsoluteUri));
        Assert.Equal("http://kiln.test:8080/some/prefix/v3/status/urn%3Aff%3Ajobs%3A1", job.StatusUrl.AbsoluteUri);
        Assert.Equal("http://kiln.test:8080/some/prefix/v3/cancel/urn%3Aff%3Ajobs%3A1", job.CancelUrl.AbsoluteUri);
    }

    // 2. A rejected credential ends a job wait at once, as what it is.
    [Fact]
    public async Task An_authentication_failure_ends_the_wait_at_once()
    {
        var ims = new Recorder(_ => Recorder.Json(400, """{"error":"invalid_client","error_description":"invalid client_secret parameter"}""", "ims-req-1"));
        var firefly = new FireflyStub();
        using var sp = Services(o => o.ClientSecrets.Add("bad-secret"), b =>
        {
            b.Ims.ConfigurePrimaryHttpMessageHandler(() => ims);
            b.Firefly.ConfigurePrimaryHttpMessageHandler(() => firefly);
        });
        var client = sp.GetRequiredService<FireflyClient>();

        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<KilnAuthenticationException>(() => client.WaitForJobAsync(client.JobFromId("urn:ff:jobs:1"), timeout: TimeSpan.FromSeconds(8)));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3), $"took {DateTime.UtcNow - started}");
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_client", "ims-req-1"), (e.StatusCode, e.ErrorCode, e.RequestId));
        Assert.Empty(firefly.Requests); // no request went out without a token
    }

    // 3. A server that accepts and never answers: the library's timeout exception, not Polly's.
    [Fact]
    public async Task A_server_that_never_answers_times_out_as_KilnTimeoutException()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts (the backlog) and never answers
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/");
        using var sp = Services(o =>
        {
            o.UseKiln(url);
            o.AccessToken = "fixed";
            o.RequestTimeout = TimeSpan.FromMilliseconds(300);
            o.TotalRequestTimeout = TimeSpan.FromSeconds(1);
        });
        var client = sp.GetRequiredService<FireflyClient>();

        var post = await Assert.ThrowsAsync<KilnTimeoutException>(() => client.GenerateImagesAsync(new GenerateImagesRequest { Prompt = "x" }));
        Assert.IsType<Polly.Timeout.TimeoutRejectedException>(post.InnerException);
        var get = await Assert.ThrowsAsync<KilnTimeoutException>(() => client.GetJobStatusAsync(client.JobFromId("urn:ff:jobs:1")));
        Assert.Contains("timed out", get.Message);
        Assert.IsAssignableFrom<TimeoutException>(get);
    }

    // 4. One hierarchy: a failed token request is a KilnApiException with the status IMS answered.
    [Fact]
    public async Task Every_failure_is_a_KilnApiException_with_status_code_request_id_and_retry_after()
    {
        var ims = new Recorder(_ => Recorder.Json(429, """{"error":"too_many_requests","error_description":"slow down"}""", "ims-429", TimeSpan.FromSeconds(7)));
        using var sp = Services(o => o.ClientSecrets.Add("s"), b => b.Ims.ConfigurePrimaryHttpMessageHandler(() => ims));

        var e = await Assert.ThrowsAsync<KilnAuthenticationException>(() => sp.GetRequiredService<ServerToServerTokenProvider>().GetTokenAsync());
        KilnApiException api = e;
        Assert.Equal((HttpStatusCode.TooManyRequests, "too_many_requests", "ims-429"), (api.StatusCode, api.ErrorCode, api.RequestId));
        Assert.True(api.RetryAfter >= TimeSpan.FromSeconds(7), $"retry after {api.RetryAfter}");
        Assert.True(e.IsTransient);

        var failed = new FireflyStub().Status(_ => FireflyStub.Json(200, $$"""{"jobId":"{{FireflyStub.JobId}}","status":"failed","error_code":"generation_failed","message":"no"}""", requestId: "r-9"));
        var job = await Assert.ThrowsAsync<FireflyJobFailedException>(() => failed.Client().WaitForJobAsync(FireflyStub.Job));
        api = job;
        Assert.Equal(((HttpStatusCode?)null, "generation_failed", "r-9", FireflyJobState.Failed), (api.StatusCode, api.ErrorCode, api.RequestId, job.JobStatus));
    }

    // 5. A failed download leaves no file behind, and an existing file as it was.
    [Fact]
    public async Task A_failed_download_leaves_no_file()
    {
        var dir = Directory.CreateTempSubdirectory("kiln-dl-").FullName;
        try
        {
            var stub = new FireflyStub(); // 404 for anything but status polls
            var path = Path.Combine(dir, "cat.jpg");
            var e = await Assert.ThrowsAsync<FireflyApiException>(() => stub.Client().DownloadAsync(new Uri("http://firefly.test/out/gone.jpg"), path));
            Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
            Assert.False(File.Exists(path));
            Assert.Empty(Directory.GetFiles(dir));

            await File.WriteAllTextAsync(path, "old");
            await Assert.ThrowsAsync<FireflyApiException>(() => stub.Client().DownloadAsync(new Uri("http://firefly.test/out/gone.jpg"), path));
            Assert.Equal("old", await File.ReadAllTextAsync(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    // 6. No credential at all fails options validation, before any call.
    [Fact]
    public void A_client_with_no_credential_fails_validation()
    {
        var services = new ServiceCollection();
        services.AddKilnClient(o => { o.UseKiln(Prefixed); o.ClientId = "id"; });
        using var sp = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<FireflyClient>());
        Assert.Contains(e.Failures, f => f.StartsWith("No credential", StringComparison.Ordinal));
    }

    internal static ServiceProvider Services(Action<KilnClientOptions> configure, Action<KilnClientBuilder>? more = null)
    {
        var services = new ServiceCollection();
        var b = services.AddKilnClient(o =>
        {
            o.UseKiln(Prefixed);
            o.ClientId = "id";
            o.JobPollInterval = TimeSpan.FromMilliseconds(20);
            o.MaxJobPollInterval = TimeSpan.FromMilliseconds(50);
            configure(o);
        });
        more?.Invoke(b);
        return services.BuildServiceProvider();
    }
}
