using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Kiln.Client.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kiln.Client;

/// <summary>
/// The Firefly image API (docs/firefly.md#endpoints): the five image operations sync and async, job status, waiting and cancel,
/// upload and download. What a caller catches (docs/client.md#errors): <see cref="KilnApiException"/> for every service failure
/// (<see cref="FireflyApiException"/> for an error status, <see cref="FireflyJobFailedException"/> for a job that failed or was
/// canceled, <see cref="KilnAuthenticationException"/> when no token could be had), <see cref="KilnTimeoutException"/> for a
/// timeout, <see cref="HttpRequestException"/> for a connection failure. Every member is virtual, so tests can mock it.
/// </summary>
public partial class FireflyClient
{
    private readonly HttpClient _http;
    private readonly KilnClientOptions _options;
    private readonly Uri _base;
    private readonly ILogger _log;

    /// <summary>For mocking frameworks: a client that must not be called unmocked.</summary>
    protected FireflyClient()
    {
        _http = null!;
        _options = new KilnClientOptions();
        _base = null!;
        _log = NullLogger.Instance;
    }

    /// <summary>Creates the client (what <c>AddKilnClient</c> registers; its pipeline adds the token).</summary>
    /// <param name="http">An HTTP client whose pipeline authenticates (see <see cref="KilnAuthHandler"/>).</param>
    /// <param name="options">The client options.</param>
    /// <exception cref="InvalidOperationException">Neither <paramref name="http"/> nor the options name a Firefly base address.</exception>
    public FireflyClient(HttpClient http, IOptions<KilnClientOptions> options) : this(http, (options ?? throw new ArgumentNullException(nameof(options))).Value) { }

    /// <summary>Creates the client.</summary>
    /// <param name="http">An HTTP client whose pipeline authenticates (see <see cref="KilnAuthHandler"/>).</param>
    /// <param name="options">The client options.</param>
    /// <param name="logger">Where job events go; none when null.</param>
    /// <exception cref="InvalidOperationException">Neither <paramref name="http"/> nor the options name a Firefly base address.</exception>
    public FireflyClient(HttpClient http, KilnClientOptions options, ILogger<FireflyClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _base = HttpHelpers.AsBase(options.FireflyBaseUrl ?? http.BaseAddress)
            ?? throw new InvalidOperationException("The Firefly client has no base address: set KilnClientOptions.FireflyBaseUrl (UseKiln(baseUrl) or UseAdobe()).");
        _log = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The base address every Firefly path is resolved under (its path is kept).</summary>
    public virtual Uri BaseAddress => _base;

    /// <summary>Text to image, synchronously (<c>POST v3/images/generate</c>).</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ImagesResponse> GenerateImagesAsync(GenerateImagesRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<ImagesResponse>("v3/images/generate", request, cancellationToken);

    /// <summary>Images similar to a reference, synchronously.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ImagesResponse> GenerateSimilarImagesAsync(GenerateSimilarImagesRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<ImagesResponse>("v3/images/generate-similar", request, cancellationToken);

    /// <summary>Generative expand, synchronously.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ImagesResponse> ExpandImageAsync(ExpandImageRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<ImagesResponse>("v3/images/expand", request, cancellationToken);

    /// <summary>Generative fill, synchronously.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ImagesResponse> FillImageAsync(FillImageRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<ImagesResponse>("v3/images/fill", request, cancellationToken);

    /// <summary>Object composite, synchronously.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ImagesResponse> GenerateObjectCompositeAsync(ObjectCompositeRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<ImagesResponse>("v3/images/generate-object-composite", request, cancellationToken);

    /// <summary>Submits any image operation as an async job (<c>*-async</c>, 202); wait with <see cref="WaitForJobAsync"/>.</summary>
    /// <param name="request">A generate, similar, expand, fill or object-composite request.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<FireflyJob> SubmitAsync(ImageOperationRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<FireflyJob>(AsyncPath(request), request, cancellationToken);

    internal static string AsyncPath(ImageOperationRequest request) => request switch
    {
        GenerateImagesRequest => "v3/images/generate-async",
        GenerateSimilarImagesRequest => "v3/images/generate-similar-async",
        ExpandImageRequest => "v3/images/expand-async",
        FillImageRequest => "v3/images/fill-async",
        ObjectCompositeRequest => "v3/images/generate-object-composite-async",
        _ => throw new ArgumentException($"Unknown operation {request?.GetType().Name}", nameof(request)),
    };

    /// <summary>Uploads an image (<c>POST v2/storage/image</c>) and returns its upload id (valid 7 days).</summary>
    /// <param name="image">The bytes; read to the end.</param>
    /// <param name="contentType"><c>image/jpeg</c>, <c>image/png</c> or <c>image/webp</c>.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual async Task<string> UploadAsync(Stream image, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (contentType is not ("image/jpeg" or "image/png" or "image/webp"))
            throw new ArgumentException("contentType must be image/jpeg, image/png or image/webp", nameof(contentType));
        // Buffered, so a retry (401 renewal, 429) can send it again.
        using var buffer = new MemoryStream();
        await image.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        using var req = new HttpRequestMessage(HttpMethod.Post, Url("v2/storage/image")) { Content = new ByteArrayContent(buffer.ToArray()) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        req.Headers.Accept.ParseAdd("application/json");
        using var res = await SendAsync(req, cancellationToken).ConfigureAwait(false);
        var body = await res.Content.ReadFromJsonAsync<UploadResponse>(HttpHelpers.Json, cancellationToken).ConfigureAwait(false);
        return (body?.Images is { Count: > 0 } imgs ? imgs[0].Id : null)
            ?? throw await ErrorAsync(res, "upload answer has no image id", cancellationToken).ConfigureAwait(false);
    }

    private sealed record UploadResponse(IReadOnlyList<UploadedImage>? Images);
    private sealed record UploadedImage(string Id);

    /// <summary>
    /// Downloads an output URL to a file (no credentials are sent: the URL is pre-signed and may be on another host).
    /// The bytes go to a temporary file beside <paramref name="destinationPath"/>, moved into place only when the download
    /// succeeded: a failure leaves no file (and an existing file as it was).
    /// </summary>
    /// <param name="outputUrl">The <c>image.url</c> of an output.</param>
    /// <param name="destinationPath">The file to write.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual async Task DownloadAsync(Uri outputUrl, string destinationPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destinationPath);
        var full = Path.GetFullPath(destinationPath);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.part");
        try
        {
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            await using (file.ConfigureAwait(false))
                await DownloadAsync(outputUrl, file, cancellationToken).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Downloads an output URL into a stream.</summary>
    /// <param name="outputUrl">The <c>image.url</c> of an output.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual async Task DownloadAsync(Uri outputUrl, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outputUrl);
        ArgumentNullException.ThrowIfNull(destination);
        using var req = new HttpRequestMessage(HttpMethod.Get, outputUrl);
        req.Options.Set(KilnAuthHandler.AnonymousOption, true);
        using var res = await HttpHelpers.SendAsync(_http, req, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!res.IsSuccessStatusCode) throw await ErrorAsync(res, null, cancellationToken).ConfigureAwait(false);
        await res.Content.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    private Uri Url(string path) => new(_base, path);

    private async Task<T> PostAsync<T>(string path, ImageOperationRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var req = new HttpRequestMessage(HttpMethod.Post, Url(path)) { Content = JsonContent.Create(request, request.GetType(), options: HttpHelpers.Json) };
        req.Headers.Accept.ParseAdd("application/json");
        if (request.ModelVersion is { Length: > 0 } model) req.Headers.Add("x-model-version", model);
        using var res = await SendAsync(req, ct).ConfigureAwait(false);
        return await res.Content.ReadFromJsonAsync<T>(HttpHelpers.Json, ct).ConfigureAwait(false)
            ?? throw await ErrorAsync(res, "empty response body", ct).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage req, CancellationToken ct)
    {
        req.Options.Set(KilnAuthHandler.ScopesOption, _options.Scopes);
        var res = await HttpHelpers.SendAsync(_http, req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (res.IsSuccessStatusCode) return res;
        using (res) throw await ErrorAsync(res, null, ct).ConfigureAwait(false);
    }

    private async Task<FireflyApiException> ErrorAsync(HttpResponseMessage res, string? fallback, CancellationToken ct)
    {
        var (raw, json, code, message, requestId) = await KilnApiException.ReadAsync(res, ct).ConfigureAwait(false);
        return new FireflyApiException(res.StatusCode, code ?? (res.IsSuccessStatusCode ? "invalid_response" : null), fallback ?? message, requestId, raw,
            FireflyApiException.ParseValidation(json))
        { RetryAfter = HttpHelpers.RetryAfter(res, _options.TimeProvider) };
    }

    private static bool Transient(HttpStatusCode s) => s is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)s >= 500;
}
