using Kiln.Client.Tests.Infrastructure;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace Kiln.Client.Tests.RealServer;

/// <summary>FireflyClient against a real Kiln: every image operation sync and async, upload, download, waiting, cancel, errors.</summary>
public sealed class FireflyRealServerTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly List<string> _requestIds = [];

    public void Dispose() => _kiln.Dispose();

    private ClientHarness Harness() => new(_kiln, o => o.JobPollInterval = TimeSpan.FromMilliseconds(100),
        b => b.Firefly.AddHttpMessageHandler(() => new RequestIdCapture(_requestIds)));

    public static TheoryData<string> Operations => ["generate", "similar", "expand", "fill", "composite"];

    private static (int W, int H) SizeOf(string op) => op == "expand" ? (1344, 768) : (1024, 1024);

    private static ImageOperationRequest RequestFor(string op, string src, string mask, bool isAsync) => op switch
    {
        "generate" => new GenerateImagesRequest { Prompt = "mountain lake", Seeds = [1], Size = new(1024, 1024) },
        "similar" => new GenerateSimilarImagesRequest { Image = (ImageReference.FromUpload(src)), Seeds = [2], Size = new(1024, 1024) },
        "expand" => new ExpandImageRequest { Prompt = "more sky", Image = (ImageReference.FromUpload(src)), Seeds = [3], Size = new(1344, 768) },
        "fill" => isAsync
            ? new FillImageRequest { Prompt = "a red ball", Image = (ImageReference.FromUpload(src)), Mask = new(ImageReference.FromUpload(mask)), Seeds = [4], Size = new(1024, 1024) }
            : new FillImageRequest { Prompt = "a red ball", Image = ImageReference.FromUpload(src), Mask = new(ImageReference.FromUpload(mask)), Seeds = [4] },
        _ => new ObjectCompositeRequest { Prompt = "on a beach", Image = (ImageReference.FromUpload(src)), ContentClass = ContentClass.Art, Seeds = [5], Size = new(1024, 1024) },
    };

    private static Task<ImagesResponse> CallSync(FireflyClient c, ImageOperationRequest r) => r switch
    {
        GenerateImagesRequest g => c.GenerateImagesAsync(g),
        GenerateSimilarImagesRequest s => c.GenerateSimilarImagesAsync(s),
        ExpandImageRequest e => c.ExpandImageAsync(e),
        FillImageRequest f => c.FillImageAsync(f),
        ObjectCompositeRequest o => c.GenerateObjectCompositeAsync(o),
        _ => throw new ArgumentException("op"),
    };

    private static async Task<(string Src, string Mask)> UploadInputsAsync(FireflyClient ff)
    {
        var src = await ff.UploadAsync(new MemoryStream(FireflyKit.Image(1024, 1024)), "image/png");
        var mask = await ff.UploadAsync(new MemoryStream(FireflyKit.Mask(1024, 1024, new SKRectI(256, 256, 768, 768))), "image/png");
        Assert.NotEqual(src, mask);
        return (src, mask);
    }

    private static async Task AssertDownloadsJpegAsync(FireflyClient ff, ImagesResponse res, string op)
    {
        var (w, h) = SizeOf(op);
        Assert.Equal(new ImageSize(w, h), res.Size);
        var output = Assert.Single(res.Outputs);
        Assert.Equal(op is "generate" or "composite", res.ContentClass is not null);
        var file = Path.Combine(Path.GetTempPath(), $"kiln-ff-{Guid.NewGuid():N}.jpg");
        try
        {
            await ff.DownloadAsync(output.Image.Url!, file);
            FireflyKit.AssertJpeg(await File.ReadAllBytesAsync(file), w, h);
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Sync_operation_returns_outputs_that_download_as_a_jpeg_of_the_size(string op)
    {
        _kiln.Start();
        using var h = Harness();
        var (src, mask) = await UploadInputsAsync(h.Firefly);
        var res = await CallSync(h.Firefly, RequestFor(op, src, mask, isAsync: false));
        await AssertDownloadsJpegAsync(h.Firefly, res, op);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Async_operation_is_awaited_with_progress_and_its_result_downloads(string op)
    {
        _kiln.Start();
        using var h = Harness();
        var (src, mask) = await UploadInputsAsync(h.Firefly);
        var job = await h.Firefly.SubmitAsync(RequestFor(op, src, mask, isAsync: true));
        Assert.StartsWith("urn:ff:jobs:", job.JobId);
        Assert.Equal(new Uri(_kiln.BaseAddress, "/v3/status/" + job.JobId), job.StatusUrl);

        var progress = new ListProgress<JobProgress>();
        var done = await h.Firefly.WaitForJobAsync(job, progress, TimeSpan.FromSeconds(60));

        Assert.Equal((FireflyJobState.Succeeded, job.JobId), (done.Status, done.JobId));
        Assert.NotEmpty(progress.Items);
        Assert.All(progress.Items, p => Assert.Equal(job.JobId, p.JobId));
        Assert.Equal(FireflyJobState.Succeeded, progress.Items[^1].Status);
        Assert.Equal(100, progress.Items[^1].Percent);
        await AssertDownloadsJpegAsync(h.Firefly, done.Result!, op);
        Assert.Equal(FireflyJobState.Succeeded, (await h.Firefly.GetJobStatusAsync(h.Firefly.JobFromId(job.JobId))).Status);
    }

    [Fact]
    public async Task A_slow_job_can_be_canceled_and_waiting_on_it_reports_job_canceled()
    {
        _kiln.WithSlowGenerator(20000).Start();
        using var h = Harness();
        var job = await h.Firefly.SubmitAsync(new GenerateImagesRequest { Prompt = "slow", Size = new(1024, 1024) });

        var canceled = await h.Firefly.CancelJobAsync(job);
        Assert.Equal(FireflyJobState.Canceled, canceled.Status);
        var e = await Assert.ThrowsAsync<FireflyJobFailedException>(() => h.Firefly.WaitForJobAsync(job, timeout: TimeSpan.FromSeconds(20)));
        Assert.Equal("job_canceled", e.ErrorCode);
        Assert.Equal(FireflyJobState.Canceled, (await h.Firefly.GetJobStatusAsync(job)).Status);
    }

    [Fact]
    public async Task Waiting_on_a_slow_job_stops_at_the_overall_timeout_or_on_cancellation()
    {
        _kiln.WithSlowGenerator(20000).Start();
        using var h = Harness();
        var job = await h.Firefly.SubmitAsync(new GenerateImagesRequest { Prompt = "slow", Size = new(1024, 1024) });

        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<KilnTimeoutException>(() => h.Firefly.WaitForJobAsync(job, timeout: TimeSpan.FromMilliseconds(800)));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(10));

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Firefly.WaitForJobAsync(job, timeout: TimeSpan.FromSeconds(30), cancellationToken: cts.Token));
        Assert.Contains((await h.Firefly.GetJobStatusAsync(job)).Status, new[] { FireflyJobState.Pending, FireflyJobState.Running });
        await h.Firefly.CancelJobAsync(job);
    }

    [Fact]
    public async Task A_422_surfaces_as_FireflyApiException_with_error_code_validation_errors_and_request_id()
    {
        _kiln.Start();
        using var h = Harness();
        var e = await Assert.ThrowsAsync<FireflyApiException>(() =>
            h.Firefly.GenerateImagesAsync(new GenerateImagesRequest { Prompt = "a cat", NumVariations = 9, Size = new(1024, 1024) }));

        Assert.Equal((422, "validation_error"), ((int)e.StatusCode!.Value, e.ErrorCode));
        var v = Assert.Single(e.ValidationErrors);
        Assert.Equal(["body", "numVariations"], v.Loc.Select(x => x.ToString()));
        Assert.False(string.IsNullOrEmpty(v.Msg));
        Assert.False(string.IsNullOrEmpty(e.RequestId));
        Assert.Equal(_requestIds[^1], e.RequestId);
    }

    [Fact]
    public async Task An_unknown_upload_id_is_a_typed_error_not_a_crash()
    {
        _kiln.Start();
        using var h = Harness();
        var e = await Assert.ThrowsAsync<FireflyApiException>(() => h.Firefly.GenerateSimilarImagesAsync(
            new GenerateSimilarImagesRequest { Image = (ImageReference.FromUpload(Guid.NewGuid().ToString())), Size = new(1024, 1024) }));
        Assert.InRange((int)e.StatusCode!.Value, 400, 499);
        Assert.False(string.IsNullOrEmpty(e.ErrorCode));
    }

    private sealed class RequestIdCapture(List<string> ids) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var res = await base.SendAsync(request, ct);
            if (res.Headers.TryGetValues("x-request-id", out var v)) lock (ids) ids.Add(v.First());
            return res;
        }
    }
}
