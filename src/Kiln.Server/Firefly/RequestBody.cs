using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Server.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Kiln.Server.Firefly;

/// <summary>
/// Reads a Firefly request body without model binding, so nothing a client sends can throw past us:
/// wrong Content-Type is 415, empty is 400, malformed JSON is 400, too large is 413.
/// </summary>
internal static class RequestBody
{
    private const int MaxJsonBytes = 1024 * 1024;

    /// <summary>
    /// Reads the JSON body. For async operations a <c>multipart/form-data</c> body is accepted too: part
    /// <c>request</c> holds the JSON and each <c>files</c> part is stored as an upload of the caller's org. A source
    /// refers to a file part with <c>{"uploadId": "&lt;the part's file name&gt;"}</c> or <c>{"uploadId": "&lt;0-based index&gt;"}</c>;
    /// those references are replaced by the real upload ids before validation.
    /// </summary>
    public static async Task<Checked<JsonElement>> ReadAsync(HttpContext ctx, bool isAsync, Func<Stream, string, Task<Checked<string>>>? storeFile, CancellationToken ct)
    {
        var type = ctx.Request.ContentType;
        var mediaType = MediaTypeHeaderValue.TryParse(type, out var media) ? media.MediaType.Value?.ToLowerInvariant() : null;
        if (mediaType is "application/json" || (mediaType?.EndsWith("+json", StringComparison.Ordinal) ?? false))
            return (await ReadCappedAsync(ctx, MaxJsonBytes, ct)).Failed(out var refusal, out var body) ? refusal : Parse(body, isAsync);
        if (isAsync && mediaType == "multipart/form-data" && storeFile is not null)
            return await ReadMultipartAsync(ctx, storeFile, ct);
        if (string.IsNullOrEmpty(type) && ctx.Request.ContentLength is null or 0 && !ctx.Request.Headers.ContainsKey(HeaderNames.TransferEncoding))
            return Empty(isAsync);
        return new Refusal(415, "invalid_content_type",
            isAsync ? "Content-Type must be application/json or multipart/form-data" : "Content-Type must be application/json");
    }

    private static Refusal Empty(bool isAsync) =>
        new(400, isAsync ? "empty_input_body" : "bad_request", "The request body is empty");

    private static Checked<JsonElement> Parse(byte[] body, bool isAsync)
    {
        if (body.Length == 0 || body.All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')) return Empty(isAsync);
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            CheckStrings(doc.RootElement);
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return NotJson("body");
        }
    }

    private static Refusal NotJson(string what) => new(400, "bad_request", $"The request {what} is not valid JSON");

    /// <summary>
    /// JsonDocument accepts a lone surrogate escape (<c>"\ud800"</c>) but throws InvalidOperationException when the string
    /// is read, which the validators do; reading every string once here turns that into a 400 (found by the endpoint fuzz).
    /// </summary>
    private static void CheckStrings(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                _ = e.GetString();
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) CheckStrings(item);
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    _ = p.Name;
                    CheckStrings(p.Value);
                }
                break;
        }
    }

    private static async Task<Checked<byte[]>> ReadCappedAsync(HttpContext ctx, long max, CancellationToken ct)
    {
        if (ctx.Request.ContentLength > max) return TooLarge(max);
        try
        {
            return await CappedBody.ReadAsync(ctx.Request.Body, max, ct) is { } body ? body : TooLarge(max);
        }
        catch (BadHttpRequestException e)
        {
            return new Refusal(e.StatusCode == 413 ? 413 : 400, e.StatusCode == 413 ? "request_too_large" : "bad_request", "The request body could not be read");
        }
    }

    public static Refusal TooLarge(long max) => new(413, "request_too_large", $"The request body is larger than {max} bytes");

    private static async Task<Checked<JsonElement>> ReadMultipartAsync(HttpContext ctx, Func<Stream, string, Task<Checked<string>>> storeFile, CancellationToken ct)
    {
        IFormCollection form;
        try
        {
            ctx.Features.Set<IFormFeature>(new FormFeature(ctx.Request, new FormOptions { MultipartBodyLengthLimit = 200L * 1024 * 1024, ValueLengthLimit = MaxJsonBytes }));
            form = await ctx.Request.ReadFormAsync(ct);
        }
        // InvalidOperationException: a multipart Content-Type without a usable boundary (found by the parser fuzz).
        catch (Exception e) when ((e is InvalidDataException or IOException or BadHttpRequestException or InvalidOperationException) && !Outages.IsDiskFull(e))
        {
            return new Refusal(400, "bad_request", "The multipart body could not be read");
        }
        string? json = form.TryGetValue("request", out var v) && v.Count > 0 ? v[0] : null;
        if (json is null && form.Files.GetFile("request") is { } rf)
        {
            using var r = new StreamReader(rf.OpenReadStream());
            json = await r.ReadToEndAsync(ct);
        }
        var files = form.Files.GetFiles("files");
        if (json is null || files.Count == 0)
            return Refusal.Validation([.. new[] { json is null ? "request" : null, files.Count == 0 ? "files" : null }
                .OfType<string>().Select(p => new ValidationError(["body", p], "field required", "value_error.missing"))]);

        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            await using var s = files[i].OpenReadStream();
            if ((await storeFile(s, $"files[{i}]")).Failed(out var refusal, out var id)) return refusal;
            ids[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = id;
            if (files[i].FileName is { Length: > 0 } name) ids.TryAdd(name, id);
        }
        try
        {
            using (var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 })) CheckStrings(doc.RootElement);
            if (JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) is not { } node) return Empty(true);
            Rewrite(node, ids);
            return JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();
        }
        // ArgumentException: JsonObject refuses duplicate property names, which JsonDocument allows.
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException) { return NotJson("part"); }
    }

    private static void Rewrite(JsonNode node, Dictionary<string, string> ids)
    {
        if (node is JsonObject o)
        {
            if (o["uploadId"] is JsonValue v && v.TryGetValue<string>(out var s) && ids.TryGetValue(s, out var real)) o["uploadId"] = real;
            foreach (var (_, child) in o.ToList()) if (child is not null) Rewrite(child, ids);
        }
        else if (node is JsonArray a)
        {
            foreach (var child in a) if (child is not null) Rewrite(child, ids);
        }
    }
}
