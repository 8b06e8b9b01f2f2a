using System.Text;
using Kiln.Server.Ims;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Security;

/// <summary>
/// Seedable fuzzing of the IMS endpoints: malformed bodies, encodings and content types never give a 5xx,
/// always give the OAuth error shape, and leave the server healthy. KILN_FUZZ_SEED replays a run;
/// KILN_FUZZ_ITERATIONS or KILN_FUZZ_LONG=1 raises the budget (CI uses the default); see <see cref="Fuzz"/>. Headers stay under Kestrel's size limits: past
/// them Kestrel itself answers 431 before any Kiln code runs, which no endpoint can shape.
/// </summary>
public sealed class TokenEndpointFuzzTests : IDisposable
{
    private readonly KilnFactory _kiln = new KilnFactory().With("Kiln:Ims:BruteForce:MaxFailuresPerAddress", "1000000").With("Kiln:Ims:BruteForce:MaxFailuresPerClient", "1000000");
    private static int Seed => Fuzz.Seed;
    private static readonly int Iterations = Fuzz.Iterations(300, 20_000);

    public void Dispose() => _kiln.Dispose();

    private static readonly string[] ContentTypes =
    [
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data", "application/json",
        "text/plain", "application/octet-stream", "", "application/x-www-form-urlencoded; charset=utf-16", "multipart/form-data; boundary=",
    ];

    private static string Piece(Random r, Kiln.Server.Hosting.DemoCredential d) => r.Next(14) switch
    {
        0 => "grant_type=client_credentials",
        1 => "client_id=" + d.ClientId,
        2 => "client_secret=" + d.ClientSecret[..r.Next(d.ClientSecret.Length)],
        3 => "scope=" + string.Join(r.Next(2) == 0 ? "," : " ", Services.FireflyApi.Scopes.Take(r.Next(8))),
        4 => "%" + (char)r.Next(32, 127) + (char)r.Next(32, 127),
        5 => new string('a', r.Next(0, 70_000)),
        6 => "=&&==",
        7 => Encoding.Latin1.GetString(Enumerable.Range(0, r.Next(1, 64)).Select(_ => (byte)r.Next(256)).ToArray()),
        8 => "grant_type=" + Uri.EscapeDataString(Encoding.Latin1.GetString([(byte)r.Next(256), (byte)r.Next(256)])),
        9 => "--xyz\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n" + d.ClientId + (r.Next(2) == 0 ? "\r\n--xyz--" : ""),
        10 => "client_id=" + new string('f', r.Next(1, 300)),
        11 => "org_id=" + d.OrgCode,
        12 => "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=" + Guid.NewGuid(),
        _ => "\u0000\uFFFF\uD800",
    };

    [Fact]
    public async Task Malformed_ims_requests_never_5xx_and_always_answer_the_oauth_shape()
    {
        var demo = _kiln.Start();
        var r = new Random(Seed);
        var paths = new[] { "/ims/token/v3", "/ims/token/v2", "/ims/token/v4", "/ims/validate_token/v1", "/ims/invalidate_token/v2" };
        for (var i = 0; i < Iterations; i++)
        {
            var body = string.Join(r.Next(5) == 0 ? "&&" : "&", Enumerable.Range(0, r.Next(0, 6)).Select(_ => Piece(r, demo)));
            var bytes = r.Next(10) == 0 ? Encoding.UTF8.GetBytes(body)[..Math.Max(0, body.Length / 2)] : Encoding.UTF8.GetBytes(body);
            using var content = new ByteArrayContent(bytes);
            var ct = ContentTypes[r.Next(ContentTypes.Length)];
            if (ct.Length > 0) content.Headers.TryAddWithoutValidation("Content-Type", ct);
            var path = paths[r.Next(paths.Length)] + (r.Next(4) == 0 ? "?client_id=" + Uri.EscapeDataString(Ascii(Piece(r, demo))) : "");
            using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            if (r.Next(6) == 0) req.Headers.TryAddWithoutValidation("Authorization", r.Next(2) == 0 ? "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Ascii(Piece(r, demo)))) : "Bearer " + Ascii(Piece(r, demo)));
            var res = await _kiln.Http().SendAsync(req);
            var text = await res.Content.ReadAsStringAsync();
            Assert.True((int)res.StatusCode < 500, $"seed {Seed} iteration {i}: {(int)res.StatusCode} for {path} [{ct}] {Truncate(body)} -> {text}");
            Assert.True(res.Content.Headers.ContentType?.MediaType == "application/json",
                $"seed {Seed} iteration {i}: {(int)res.StatusCode} without JSON for {path} [{ct}] {Truncate(body)} -> {text}");
            var json = System.Text.Json.JsonDocument.Parse(text).RootElement;
            if (!res.IsSuccessStatusCode)
                Assert.True(json.TryGetProperty("error", out _), $"seed {Seed} iteration {i}: no OAuth error field in {text}");
        }
        await HttpAssert.JsonAsync(await _kiln.Http().GetAsync("/health/ready"), 200);
        await _kiln.DemoTokenAsync(); // still serving
    }

    private static string Ascii(string s) => new(s.Where(c => c is >= ' ' and <= '~').Take(4000).ToArray());

    private static string Truncate(string s) => s.Length > 200 ? s[..200] + "…" : s;
}
