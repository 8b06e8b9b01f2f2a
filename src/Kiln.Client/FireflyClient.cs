using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Kiln.Client.Internal;
using Microsoft.Extensions.Options;

namespace Kiln.Client;

/// <summary>
/// The Firefly image API (docs/firefly.md#endpoints): the five image operations sync and async, job status, waiting and cancel,
/// upload and download. Errors throw <see cref="FireflyApiException"/>.
/// </summary>
public sealed partial class FireflyClient
{
    private readonly HttpClient _http;
    private readonly KilnClientOptions _options;

    /// <summary>Creates the client (the typed client of <c>AddKilnClient</c>; its handler adds the token).</summary>
    /// <param name="http">An HTTP client whose pipeline authenticates (see <see cref="KilnAuthHandler"/>).</param>
    /// <param name="options">The client options.</param>
    public FireflyClient(HttpClient http, IOptions<KilnClientOptions> options)
    {
        _http = http;
        _options = options.Value;
        _http.BaseAddress ??= _options.FireflyBaseUrl;
    }

    /// <summary>Text to image, synchronously (<c>POST /v3/images/generate</c>).</summary>
    /// <param name="request">The request.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<ImagesResponse> GenerateImagesAsync(GenerateImagesRequest request, CancellationToken ct = default) =>
        PostAsync<ImagesResponse>("/v3/images/generate", request, ct);

    /// <summary>Images similar to a reference, synchronously.</summary>
    /// <param name="request">The request.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<ImagesResponse> GenerateSimilarImagesAsync(GenerateSimilarImagesRequest request, CancellationToken ct = default) =>
        PostAsync<ImagesResponse>("/v3/images/generate-similar", request, ct);

    /// <summary>Generative expand, synchronously.</summary>
    /// <param name="request">The request.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<ImagesResponse> ExpandImageAsync(ExpandImageRequest request, CancellationToken ct = default) =>
        PostAsync<ImagesResponse>("/v3/images/expand", request, ct);

    /// <summary>Generative fill, synchronously.</summary>
    /// <param name="request">The request.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<ImagesResponse> FillImageAsync(FillImageRequest request, CancellationToken ct = default) =>
        PostAsync<ImagesResponse>("/v3/images/fill", request, ct);

    /// <summary>Object composite, synchronously.</summary>
    /// <param name="request">The request.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<ImagesResponse> GenerateObjectCompositeAsync(ObjectCompositeRequest request, CancellationToken ct = default) =>
        PostAsync<ImagesResponse>("/v3/images/generate-object-composite", request, ct);

    /// <summary>Submits any image operation as an async job (<c>*-async</c>, 202); wait with <see cref="WaitForJobAsync"/>.</summary>
    /// <param name="request">A generate, similar, expand, fill or object-composite request.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<FireflyJob> SubmitAsync(ImageOperationRequest request, CancellationToken ct = default) =>
        PostAsync<FireflyJob>(AsyncPath(request), request, ct);

    /// <summary>The async path for a request type.</summary>
    /// <param name="request">The request.</param>
    public static string AsyncPath(ImageOperationRequest request) => request switch
    {
        GenerateImagesRequest => "/v3/images/generate-async",
        GenerateSimilarImagesRequest => "/v3/images/generate-similar-async",
        ExpandImageRequest => "/v3/images/expand-async",
        FillImageRequest => "/v3/images/fill-async",
        ObjectCompositeRequest => "/v3/images/generate-object-composite-async",
        _ => throw new ArgumentException($"Unknown operation {request.GetType().Name}", nameof(request)),
    };

    /// <summary>Uploads an image (<c>POST /v2/storage/image</c>) and returns its upload id (valid 7 days).</summary>
    /// <param name="image">The bytes; read to the end.</param>
    /// <param name="contentType"><c>image/jpeg</c>, <c>image/png</c> or <c>image/webp</c>.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<string> UploadAsync(Stream image, string contentType, CancellationToken ct = default)
    {
        if (contentType is not ("image/jpeg" or "image/png" or "image/webp"))
            throw new ArgumentException("contentType must be image/jpeg, image/png or image/webp", nameof(contentType));
        // Buffered, so a retry (401 renewal, 429) can send it again.
        using var buffer = new MemoryStream();
        await image.CopyToAsync(buffer, ct);
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v2/storage/image") { Content = new ByteArrayContent(buffer.ToArray()) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        req.Headers.Accept.ParseAdd("application/json");
        using var res = await SendAsync(req, ct);
        var body = await res.Content.ReadFromJsonAsync<UploadResponse>(HttpHelpers.Json, ct);
        return (body?.Images is { Count: > 0 } imgs ? imgs[0].Id : null) ?? throw await ErrorAsync(res, "upload answer has no image id", ct);
    }

    private sealed record UploadResponse(IReadOnlyList<UploadedImage>? Images);
    private sealed record UploadedImage(string Id);

    /// <summary>Downloads an output URL to a file (no credentials are sent: the URL is pre-signed and may be on another host).</summary>
    /// <param name="outputUrl">The <c>image.url</c> of an output.</param>
    /// <param name="destinationPath">The file to write.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task DownloadAsync(Uri outputUrl, string destinationPath, CancellationToken ct = default)
    {
        await using var file = new FileStream(destinationPath, FileMode.Create, FileAccess.Write);
        await DownloadAsync(outputUrl, file, ct);
    }

    /// <summary>Downloads an output URL into a stream.</summary>
    /// <param name="outputUrl">The <c>image.url</c> of an output.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task DownloadAsync(Uri outputUrl, Stream destination, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, outputUrl);
        req.Options.Set(KilnAuthHandler.AnonymousOption, true);
        using var res = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!res.IsSuccessStatusCode) throw await ErrorAsync(res, null, ct);
        await res.Content.CopyToAsync(destination, ct);
    }

    private async Task<T> PostAsync<T>(string path, ImageOperationRequest request, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(request, request.GetType(), options: HttpHelpers.Json) };
        req.Headers.Accept.ParseAdd("application/json");
        if (request.ModelVersion is { Length: > 0 } model) req.Headers.Add("x-model-version", model);
        using var res = await SendAsync(req, ct);
        return await res.Content.ReadFromJsonAsync<T>(HttpHelpers.Json, ct) ?? throw await ErrorAsync(res, "empty response body", ct);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage req, CancellationToken ct)
    {
        req.Options.Set(KilnAuthHandler.ScopesOption, _options.Scopes);
        var res = await _http.SendAsync(req, ct);
        if (res.IsSuccessStatusCode) return res;
        using (res) throw await ErrorAsync(res, null, ct);
    }

    private async Task<FireflyApiException> ErrorAsync(HttpResponseMessage res, string? fallback, CancellationToken ct)
    {
        var (raw, json, code, message, requestId) = await KilnApiException.ReadAsync(res, ct);
        return new FireflyApiException(res.StatusCode, code ?? (res.IsSuccessStatusCode ? "invalid_response" : null), fallback ?? message, requestId, raw,
            FireflyApiException.ParseValidation(json))
        { RetryAfter = HttpHelpers.RetryAfter(res, _options.TimeProvider) };
    }

    private static bool Transient(HttpStatusCode s) => s is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)s >= 500;
}
