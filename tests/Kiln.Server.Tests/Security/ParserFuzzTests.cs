using System.Text;
using System.Text.Json;
using Kiln.Server.Firefly;
using Kiln.Server.Generation;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Http;

namespace Kiln.Server.Tests.Security;

/// <summary>
/// Parser-level fuzzing, no HTTP: the IMS token request parser and the Firefly size and seed validators, thousands of
/// iterations each. Properties: nothing but the parser's own refusal ever escapes, valid inputs are accepted, and
/// mutations of valid inputs that break a rule are refused. KILN_FUZZ_SEED / KILN_FUZZ_ITERATIONS / KILN_FUZZ_LONG apply.
/// </summary>
public sealed class ParserFuzzTests
{
    private static readonly string[] FormTypes =
    [
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=kiln", "multipart/form-data", "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"unterminated", "multipart/form-data; boundary=\"\"", "multipart/form-data; boundary=" + new string('b', 100),
        "multipart/form-data;;", "text/plain", "application/json", "", "application/x-www-form-urlencoded; charset=utf-16",
    ];

    [Fact]
    public async Task Token_request_parser_never_throws_and_reads_valid_forms_exactly()
    {
        foreach (var i in Fuzz.Range(Fuzz.Iterations(3000, 200_000)))
        {
            var r = Fuzz.For("token-request", i);
            var body = r.Next(3) switch
            {
                0 => FuzzInput.BrokenMultipart(r),
                1 => Encoding.Latin1.GetBytes(FuzzInput.BadForm(r)),
                _ => FuzzInput.RandomBytes(r, 3000),
            };
            var ctx = Request(body, FuzzInput.Pick(r, FormTypes), r.Next(3) == 0 ? FuzzInput.Authorization(r, null) : null,
                r.Next(4) == 0 ? "?" + FuzzInput.BadForm(r).Replace("#", "", StringComparison.Ordinal) : "");
            try
            {
                var (req, error) = await TokenRequest.ReadAsync(ctx.Request, CancellationToken.None);
                Assert.True((req is null) != (error is null), $"{Fuzz.Replay("token-request", i)}: a result and an error, or neither");
            }
            catch (Exception e)
            {
                Assert.Fail($"{Fuzz.Replay("token-request", i)}: {e.GetType().Name} escaped the token request parser for [{ctx.Request.ContentType}] {Convert.ToBase64String(body)}\n{e}");
            }

            // Any id and secret, properly encoded, comes back exactly.
            var id = new string([.. Enumerable.Range(0, r.Next(1, 40)).Select(_ => (char)r.Next(33, 0x2FF)).Where(c => !char.IsWhiteSpace(c))]) + "x";
            var secret = "kiln_s2s_" + FuzzInput.B64(r);
            var form = Request(Encoding.ASCII.GetBytes($"grant_type=client_credentials&client_id={Uri.EscapeDataString(id)}&client_secret={Uri.EscapeDataString(secret)}"),
                "application/x-www-form-urlencoded", null, "");
            var (ok, _) = await TokenRequest.ReadAsync(form.Request, CancellationToken.None);
            Assert.True(ok?["client_id"] == id && ok["client_secret"] == secret, $"{Fuzz.Replay("token-request", i)}: {id} / {secret} read as {ok?["client_id"]} / {ok?["client_secret"]}");
        }
    }

    /// <summary>Regression (fuzz seed 1234, endpoints-Credential 161): a quoted, unterminated boundary threw past the multipart catch: 500.</summary>
    [Theory]
    [InlineData("multipart/form-data; boundary=\"unterminated")]
    [InlineData("multipart/form-data; boundary=\"\"")]
    [InlineData("multipart/form-data")]
    public async Task Token_request_with_a_broken_multipart_boundary_is_refused_not_thrown(string contentType)
    {
        var (req, error) = await TokenRequest.ReadAsync(Request("--kiln\r\n"u8.ToArray(), contentType, null, "").Request, CancellationToken.None);
        Assert.Null(req);
        Assert.Equal("malformed multipart body", error);
    }

    [Fact]
    public void Size_and_seed_validators_accept_only_what_the_rules_allow()
    {
        var ops = Enum.GetValues<ImageOperation>();
        foreach (var i in Fuzz.Range(Fuzz.Iterations(5000, 500_000)))
        {
            var r = Fuzz.For("size-seed", i);
            var op = ops[r.Next(ops.Length)];
            var isAsync = r.Next(2) == 0;
            var model = r.Next(3) == 0 ? FuzzInput.Pick(r, [.. SizeRules.GenerateModels, "x", ""]) : null;
            var allowed = SizeRules.Allowed(op, isAsync, null) ?? [(2048, 2048)];
            var (w, h) = allowed[r.Next(allowed.Length)];
            var seeds = Enumerable.Range(0, r.Next(1, 5)).Select(_ => r.Next()).Distinct().ToList();
            var fields = new Dictionary<string, string>
            {
                ["prompt"] = "\"a cat\"", ["size"] = $"{{\"width\":{w},\"height\":{h}}}", ["seeds"] = "[" + string.Join(",", seeds) + "]",
                ["numVariations"] = seeds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["image"] = "{\"source\":{\"uploadId\":\"" + Guid.NewGuid() + "\"}}", ["mask"] = "{\"source\":{\"uploadId\":\"" + Guid.NewGuid() + "\"}}",
            };
            var broken = r.Next(4) > 0 ? Break(r, fields) : null;
            if (broken == "size" && op == ImageOperation.Fill && !isAsync) broken = null; // sync fill takes its size from the source
            var json = "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";
            var what = $"{Fuzz.Replay("size-seed", i)}: {op} async={isAsync} model={model} {json}";
            Checked<ImageSpec> parsed;
            try
            {
                parsed = ImageRequestParser.Parse(JsonDocument.Parse(json).RootElement, op, isAsync, model);
            }
            catch (Exception e)
            {
                Assert.Fail($"{what}\n{e.GetType().Name} escaped the validator: {e}");
                return;
            }
            if (parsed.Failed(out var refusal, out var spec))
            {
                Assert.True(refusal is { Status: 422, Errors.Count: > 0 }, $"{what}\nrefused with something other than a 422 listing its errors: {refusal}");
                Assert.False(broken is null && model is null, $"{what}\nrefused a valid body: {JsonSerializer.Serialize(refusal.Errors)}");
                continue;
            }
            Assert.True(broken is null, $"{what}\naccepted a body whose {broken} breaks the rules");
            if (spec.Width is { } sw && spec.Height is { } sh && SizeRules.Allowed(op, isAsync, spec.ModelVersion) is { } list)
                Assert.True(list.Contains((sw, sh)), $"{what}\naccepted size {sw}x{sh}");
            Assert.Equal(spec.NumVariations, spec.Seeds.Count);
            Assert.All(spec.Seeds, s => Assert.InRange(s, 0, int.MaxValue));
            Assert.Equal(spec.Seeds.Count, spec.Seeds.Distinct().Count());
        }
    }

    /// <summary>Replaces the size or seeds with a value the rules refuse; returns what it broke.</summary>
    private static string Break(Random r, Dictionary<string, string> fields)
    {
        switch (r.Next(4))
        {
            case 0:
                fields["size"] = FuzzInput.Pick(r, ["{\"width\":0,\"height\":0}", "{\"width\":-2048,\"height\":2048}",
                    "{\"width\":2048}", "{\"width\":9223372036854775807,\"height\":2048}", "{\"width\":2048.5,\"height\":2048}", "{\"width\":\"NaN\",\"height\":2048}",
                    "{\"width\":1e308,\"height\":2048}", "{\"width\":4097,\"height\":4097}", "[2048,2048]", "\"2048x2048\"", "{\"width\":true,\"height\":2048}"]);
                return "size";
            case 1:
                fields["seeds"] = FuzzInput.Pick(r, ["[-1]", "[2147483648]", "[1,1]", "[1,2,3,4,5]", "[]", "[\"x\"]", "[1.5]", "[9223372036854775808]", "7", "[null]", "[{}]", "[1e10]"]);
                fields.Remove("numVariations");
                return "seeds";
            case 2:
                fields["numVariations"] = FuzzInput.Pick(r, ["0", "5", "-1", "2147483648", "\"many\"", "1.5", "[]", "99"]);
                fields.Remove("seeds");
                return "numVariations";
            default:
                fields["numVariations"] = (fields["seeds"].Count(c => c == ',') + 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return "numVariations/seeds count";
        }
    }

    private static DefaultHttpContext Request(byte[] body, string contentType, string? authorization, string query)
    {
        var ctx = new DefaultHttpContext();
        ctx.Request.Method = "POST";
        ctx.Request.Body = new MemoryStream(body);
        ctx.Request.ContentLength = body.Length;
        if (contentType.Length > 0) ctx.Request.ContentType = contentType;
        if (authorization is not null) ctx.Request.Headers.Authorization = authorization;
        if (query.Length > 1) ctx.Request.QueryString = new QueryString("?" + Uri.EscapeDataString(query[1..]).Replace("%3D", "=", StringComparison.Ordinal).Replace("%26", "&", StringComparison.Ordinal));
        return ctx;
    }
}
