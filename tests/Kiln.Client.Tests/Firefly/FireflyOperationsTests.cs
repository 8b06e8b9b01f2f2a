using System.Net;
using System.Text.Json;

namespace Kiln.Client.Tests.Firefly;

/// <summary>Request and response shapes of every image operation (docs/firefly.md#request-fields, docs/firefly.md#responses), sync and async, upload, cancel and errors.</summary>
public sealed class FireflyOperationsTests
{
    private const string Sync = """{"size":{"width":2048,"height":2048},"outputs":[{"seed":1779323515,"image":{"url":"http://firefly.test/o.png"}}],"contentClass":"art"}""";
    private static readonly string Accepted = $$"""{"jobId":"{{FireflyStub.JobId}}","statusUrl":"http://pod.firefly.test/v3/status/{{FireflyStub.JobId}}","cancelUrl":"http://pod.firefly.test/v3/cancel/{{FireflyStub.JobId}}"}""";

    private static readonly ImageReference Input = (ImageReference.FromUpload("0a1b2c3d-0000-4000-8000-000000000001"));

    public static TheoryData<string, string, string> Operations => new()
    {
        { "generate", "/v3/images/generate", "prompt" },
        { "similar", "/v3/images/generate-similar", "image" },
        { "expand", "/v3/images/expand", "image" },
        { "fill", "/v3/images/fill", "mask" },
        { "composite", "/v3/images/generate-object-composite", "prompt" },
    };

    private static ImageOperationRequest RequestFor(string op) => op switch
    {
        "generate" => new GenerateImagesRequest { Prompt = "a cat coding", NumVariations = 2, Seeds = [1, 2], Size = new(2048, 2048), ContentClass = ContentClass.Art, ModelVersion = "image4_standard" },
        "similar" => new GenerateSimilarImagesRequest { Image = Input, NumVariations = 1 },
        "expand" => new ExpandImageRequest { Image = Input, Size = new(2500, 2500), Placement = new(Alignment: new(HorizontalAlignment.Left, VerticalAlignment.Top)) },
        "fill" => new FillImageRequest { Image = Input, Mask = new ImageMask(ImageReference.FromUpload("0a1b2c3d-0000-4000-8000-000000000002")), Prompt = "flowers" },
        _ => new ObjectCompositeRequest { Prompt = "on a table", Image = Input, ContentClass = ContentClass.Photo },
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

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Sync_operation_posts_camelCase_json_and_reads_the_outputs(string op, string path, string requiredField)
    {
        var stub = new FireflyStub { OnPost = (_, _) => FireflyStub.Json(200, Sync) };
        var result = await CallSync(stub.Client(), RequestFor(op));

        var (method, p, _, body, req) = Assert.Single(stub.Requests);
        Assert.Equal(("POST", path), (method, p));
        var json = JsonDocument.Parse(body!).RootElement;
        Assert.True(json.TryGetProperty(requiredField, out _), body);
        Assert.False(json.TryGetProperty("modelVersion", out _));
        if (op == "expand") // the alignment enums go out as the wire's lower-case names
            Assert.Equal("""{"horizontal":"left","vertical":"top"}""", json.GetProperty("placement").GetProperty("alignment").GetRawText());
        Assert.Equal("application/json", req.Content!.Headers.ContentType!.MediaType);
        Assert.Equal(1779323515, result.Outputs[0].Seed);
        Assert.Equal(new ImageSize(2048, 2048), result.Size);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Async_operation_posts_to_the_async_path_and_follows_the_returned_urls(string op, string path, string requiredField)
    {
        var stub = new FireflyStub { OnPost = (_, _) => FireflyStub.Json(202, Accepted) };
        stub.Status(FireflyStub.Succeeded());
        var client = stub.Client();
        var job = await client.SubmitAsync(RequestFor(op));
        var done = await client.WaitForJobAsync(job);

        Assert.Equal(path + "-async", stub.Requests[0].Path);
        Assert.Contains(requiredField, stub.Requests[0].Body);
        Assert.Equal(FireflyStub.JobId, job.JobId);
        Assert.Equal("pod.firefly.test", stub.Requests[1].Request.RequestUri!.Host); // statusUrl is followed verbatim
        Assert.Equal(FireflyJobState.Succeeded, done.Status);
    }

    [Fact]
    public async Task Generate_sends_seeds_size_and_the_model_header()
    {
        var stub = new FireflyStub { OnPost = (_, _) => FireflyStub.Json(202, Accepted) };
        await stub.Client().SubmitAsync(RequestFor("generate"));
        var (_, _, _, body, req) = stub.Requests[0];
        var json = JsonDocument.Parse(body!).RootElement;
        Assert.Equal("a cat coding", json.GetProperty("prompt").GetString());
        Assert.Equal(2, json.GetProperty("numVariations").GetInt32());
        Assert.Equal([1, 2], json.GetProperty("seeds").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal(2048, json.GetProperty("size").GetProperty("width").GetInt32());
        Assert.Equal("art", json.GetProperty("contentClass").GetString());
        Assert.False(json.TryGetProperty("negativePrompt", out _)); // nulls are omitted
        Assert.Equal("image4_standard", req.Headers.GetValues("x-model-version").Single());
    }

    [Fact]
    public async Task Errors_carry_status_error_code_validation_errors_and_request_id()
    {
        var stub = new FireflyStub
        {
            OnPost = (_, _) => FireflyStub.Json(422,
                """{"error_code":"validation_error","message":"invalid","validation_errors":[{"loc":["body","contentClass"],"msg":"not an enum","type":"type_error.enum","ctx":{"enum_values":["photo","art"]}}]}""",
                requestId: "abc-1"),
        };
        var e = await Assert.ThrowsAsync<FireflyApiException>(() => stub.Client().GenerateImagesAsync(new GenerateImagesRequest { Prompt = "x", NumVariations = 9 }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        Assert.Equal("validation_error", e.ErrorCode);
        Assert.Equal("abc-1", e.RequestId);
        Assert.Equal("type_error.enum", Assert.Single(e.ValidationErrors).Type);
        Assert.Contains("abc-1", e.Message);
    }

    [Fact]
    public async Task Upload_sends_raw_bytes_with_the_image_type_and_returns_the_id()
    {
        var stub = new FireflyStub { OnPost = (_, _) => FireflyStub.Json(200, """{"images":[{"id":"11111111-2222-4333-8444-555555555555"}]}""") };
        var id = await stub.Client().UploadAsync(new MemoryStream([0x89, 0x50, 0x4E, 0x47]), "image/png");
        Assert.Equal("11111111-2222-4333-8444-555555555555", id);
        var (_, path, _, _, req) = Assert.Single(stub.Requests);
        Assert.Equal("/v2/storage/image", path);
        Assert.Equal("image/png", req.Content!.Headers.ContentType!.MediaType);
        await Assert.ThrowsAsync<ArgumentException>(() => stub.Client().UploadAsync(new MemoryStream([1]), "image/gif"));
    }

    [Fact]
    public async Task Cancel_puts_to_the_cancel_url_and_download_writes_the_file()
    {
        var stub = new FireflyStub
        {
            OnOther = r => r.Method == HttpMethod.Put
                ? FireflyStub.Json(200, $$"""{"jobId":"{{FireflyStub.JobId}}","status":"canceled"}""")
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([1, 2, 3]) },
        };
        var client = stub.Client();
        var status = await client.CancelJobAsync(FireflyStub.Job);
        Assert.Equal(FireflyJobState.Canceled, status.Status);
        Assert.Equal(("PUT", "/v3/cancel/" + FireflyStub.JobId), (stub.Requests[0].Method, stub.Requests[0].Path));

        var file = Path.GetTempFileName();
        try
        {
            await client.DownloadAsync(new Uri("http://cdn.test/o.png?sig=1"), file);
            Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(file));
            Assert.Null(stub.Requests[1].Request.Headers.Authorization);
        }
        finally { File.Delete(file); }
    }
}
