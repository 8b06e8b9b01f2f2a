using System.Text;
using System.Text.Json;
using Kiln.Server.Generation;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Security;

/// <summary>
/// Fuzzes every route the host serves (read from its endpoint data source, so new routes are covered by themselves)
/// with malformed input, as an anonymous caller, as a credential with both APIs' scopes, and as an org admin's user
/// token. Properties: never a 5xx (save 503 with Retry-After), every error in its route family's contract shape, POSTs to
/// the console UI refused with a 4xx (no anti-forgery token), and the server healthy and generating afterwards.
/// CI runs 8 requests per route and mode; KILN_FUZZ_ITERATIONS or KILN_FUZZ_LONG=1 raise it (see docs/security.md).
/// Image rendering is stubbed (validation and storage still run), so valid requests cost nothing.
/// </summary>
public sealed class EndpointFuzzTests : IDisposable
{
    private readonly KilnFactory _kiln = new KilnFactory()
        .With("Kiln:Ims:BruteForce:MaxFailuresPerAddress", "1000000").With("Kiln:Ims:BruteForce:MaxFailuresPerClient", "1000000")
        .With("Kiln:Web:MaxLoginFailures", "1000")
        .WithServices(s => s.AddSingleton<IImageGenerator, TinyGenerator>());

    public void Dispose() => _kiln.Dispose();

    public enum Caller { Anonymous, Credential, User }

    [Fact]
    public Task Every_endpoint_survives_malformed_input_anonymously() => RunAsync(Caller.Anonymous);

    [Fact]
    public Task Every_endpoint_survives_malformed_input_with_a_valid_credential_token() => RunAsync(Caller.Credential);

    [Fact]
    public Task Every_endpoint_survives_malformed_input_with_a_valid_user_token() => RunAsync(Caller.User);

    private async Task RunAsync(Caller mode)
    {
        _kiln.Start();
        var callers = await FuzzCallers.CreateAsync(_kiln);
        var routes = FuzzRoute.All(_kiln.Services);
        Assert.Contains(routes, r => r.Pattern.RawText == "/v3/images/generate");
        Assert.Contains(routes, r => r.Pattern.RawText!.StartsWith("/console/organizations/", StringComparison.Ordinal));
        Assert.Contains(routes, r => r.ToString() == "PATCH /organizations/{orgId}/integrations/{intId}" || r.ToString() == "PATCH /console/organizations/{orgId}/integrations/{intId}");
        Assert.Contains(routes, r => r.ToString() is "GET /organizations/{orgId}/projects/{projectId}/download" or "GET /console/organizations/{orgId}/projects/{projectId}/download");
        var statuses = new Dictionary<int, int>();
        var failures = new List<string>();
        using var http = mode == Caller.User ? await FuzzCallers.SignedInAsync(_kiln, callers.UserEmail) : _kiln.CreateClient(new() { AllowAutoRedirect = false, BaseAddress = _kiln.BaseAddress });
        if (mode != Caller.User) http.Timeout = TimeSpan.FromMinutes(2);
        using var probe = _kiln.Http();
        var name = "endpoints-" + mode;
        foreach (var i in Fuzz.Range(Fuzz.Iterations(8 * routes.Count, 250 * routes.Count)))
        {
            var r = Fuzz.For(name, i);
            var route = routes[i % routes.Count];
            using var request = Build(r, route, mode, callers, out var shown);
            HttpResponseMessage res;
            try
            {
                res = await http.SendAsync(request);
            }
            catch (HttpRequestException e) when (e.InnerException is IOException)
            {
                // The server answered (a 4xx) before reading a large body and closed the connection while it was still
                // being sent; the answer is lost on the client side. Fine, as long as the server is still serving.
                statuses[-1] = statuses.GetValueOrDefault(-1) + 1;
                await HttpAssert.JsonAsync(await probe.GetAsync("/health/live"), 200);
                continue;
            }
            using var _ = res;
            var body = await res.Content.ReadAsByteArrayAsync();
            statuses[(int)res.StatusCode] = statuses.GetValueOrDefault((int)res.StatusCode) + 1;
            if (FuzzContract.Violation(route, request, res, body) is { } why && failures.Count < 25)
                failures.Add($"{Fuzz.Replay(name, i)}\n  route {route}: {why}\n  request: {shown}\n  answer: {(int)res.StatusCode} {Show(body)}");
        }
        Assert.True(failures.Count == 0, $"seed {Fuzz.Seed}: {failures.Count} contract violations\n" + string.Join("\n", failures));
        await AssertStillServingAsync();

        // The fuzz reached past the gate and the parsers (a run that bounced off everything would prove little).
        if (mode == Caller.Anonymous) Assert.True(statuses.GetValueOrDefault(401) > 0, Summary(statuses));
        else Assert.True(statuses.Where(s => s.Key is 200 or 201 or 204 or 400 or 404 or 409 or 422).Sum(s => s.Value) > routes.Count, Summary(statuses));
    }

    private async Task AssertStillServingAsync()
    {
        using var http = _kiln.Http();
        await HttpAssert.JsonAsync(await http.GetAsync("/health/ready"), 200);
        await HttpAssert.JsonAsync(await http.GetAsync("/health/live"), 200);
        using var c = await _kiln.DemoClientAsync();
        var json = await c.GenerateOkAsync("/v3/images/generate", FireflyKit.Cat);
        Assert.Equal(1, json.GetProperty("outputs").GetArrayLength());
    }

    private static HttpRequestMessage Build(Random r, FuzzRoute route, Caller mode, FuzzCallers callers, out string shown)
    {
        var path = route.Path(r, callers.Real);
        if (r.Next(3) == 0)
            path += "?" + string.Join("&", Enumerable.Range(0, r.Next(1, 4)).Select(_ =>
                FuzzInput.Pick(r, [.. FuzzInput.Fields, "expires", "sig", "force", "with_new_secret", "limit", "page", "returnUrl"]) + "=" + FuzzInput.PathValue(r)));
        var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
        var (token, key) = mode switch
        {
            Caller.Credential => (callers.CredentialToken, callers.CredentialKey),
            Caller.User => (callers.UserToken, callers.UserKey),
            _ => ((string?)null, (string?)null),
        };
        if (token is not null && r.Next(8) > 0) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        else if (r.Next(3) > 0) request.Headers.TryAddWithoutValidation("Authorization", FuzzInput.Authorization(r, callers.CredentialToken));
        if (key is not null && r.Next(8) > 0) request.Headers.TryAddWithoutValidation("x-api-key", key);
        else if (r.Next(2) == 0) request.Headers.TryAddWithoutValidation("x-api-key", FuzzInput.ApiKey(r, callers.CredentialKey));
        if (r.Next(6) == 0) request.Headers.TryAddWithoutValidation("x-model-version", FuzzInput.Pick(r, ["image3", "image4_custom", "", "x", "image4_ultra"]));

        var (bytes, type) = Body(r);
        if (path.StartsWith("/console", StringComparison.Ordinal) && r.Next(2) == 0)
        {
            // A real form submission of the page (its form name), with hostile fields and no anti-forgery token.
            type = "application/x-www-form-urlencoded";
            bytes = Encoding.Latin1.GetBytes("_handler=" + FuzzInput.Pick(r, UiForms) + "&" + FuzzInput.BadForm(r));
        }
        if (route.Method is not ("GET" or "HEAD") || r.Next(10) == 0)
        {
            if (r.Next(4) == 0) type = FuzzInput.Pick(r, FuzzInput.ContentTypes);
            var content = new ByteArrayContent(bytes);
            request.Headers.ExpectContinue = bytes.Length > 64 * 1024; // lets the server refuse a large body before it is sent
            if (type.Length > 0) content.Headers.TryAddWithoutValidation("Content-Type", type);
            request.Content = content;
        }
        shown = $"{route.Method} {path} auth={Short(request.Headers.Authorization?.ToString())} x-api-key={Short(request.Headers.TryGetValues("x-api-key", out var k) ? k.First() : null)}"
            + (request.Content is null ? " (no body)" : $" [{type}] {bytes.Length} bytes: {Show(bytes)}");
        return request;
    }

    private static readonly string[] UiForms =
    [
        "add-api", "add-credential", "add-secret", "create-project", "delete-project", "delete-secret", "device", "generate-token", "invite",
        "login", "remove-member", "rename-project", "unknown",
    ];

    private static (byte[] Body, string ContentType) Body(Random r)
    {
        const string json = "application/json";
        return r.Next(40) switch
        {
            0 or 1 => ([], ""),
            >= 2 and <= 11 => (Encoding.UTF8.GetBytes(FuzzInput.Json(r)), json),
            >= 12 and <= 21 => (Encoding.UTF8.GetBytes(FuzzInput.Mutated(r)), json),
            22 or 23 => (Encoding.UTF8.GetBytes(FuzzInput.Deep(r, 10_000)), json),
            24 => (Encoding.UTF8.GetBytes(FuzzInput.Huge(r, 1_000_000)), json),
            25 => (Encoding.UTF8.GetBytes(FuzzInput.Huge(r, 1_100_000)), json),
            26 or 27 => (FuzzInput.BadUtf8Json(r), json),
            >= 28 and <= 31 => (FuzzInput.BrokenMultipart(r), "multipart/form-data; boundary=kiln"),
            >= 32 and <= 34 => (Encoding.Latin1.GetBytes(FuzzInput.BadForm(r)), "application/x-www-form-urlencoded"),
            35 or 36 => (FuzzInput.RandomBytes(r, 2000), FuzzInput.Pick(r, ["image/png", "image/jpeg", "application/octet-stream"])),
            _ => (Encoding.UTF8.GetBytes(FuzzInput.Pick(r, FuzzInput.Literals)), json),
        };
    }

    private static string Short(string? s) => s is null ? "-" : s.Length > 80 ? $"{s[..80]}…({s.Length} chars)" : s;

    private static string Show(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 300));
        return JsonSerializer.Serialize(text) + (bytes.Length > 300 ? $"… ({bytes.Length} bytes)" : "");
    }

    private static string Summary(Dictionary<int, int> statuses) =>
        "statuses seen: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}x{s.Value}"));

    /// <summary>Renders nothing: a tiny fixed JPEG, so that fuzz requests that happen to be valid cost no CPU.</summary>
    private sealed class TinyGenerator : IImageGenerator
    {
        private static readonly byte[] Jpeg = FireflyKit.Image(8, 8, SkiaSharp.SKEncodedImageFormat.Jpeg);

        public Task<GeneratedImage> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct) =>
            Task.FromResult(new GeneratedImage(Jpeg, request.Width, request.Height, request.ContentClass ?? "photo"));
    }
}
