using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Client;
using Kiln.Server.Firefly;

namespace Kiln.Server.Upstream;

/// <summary>
/// The upstream could not answer (unreachable, timed out, 5xx, or 429): a sync request gets 503 (429) with Retry-After, a
/// job retries. A 429 keeps the upstream's <c>x-access-rate-limit-level</c>, when it sent one.
/// </summary>
public sealed class UpstreamDownException(string message, int status = 503, TimeSpan? retryAfter = null, string? rateLimitLevel = null) : Exception(message)
{
    public int Status { get; } = status;
    public TimeSpan? RetryAfter { get; } = retryAfter;
    public string? RateLimitLevel { get; } = rateLimitLevel;
}

/// <summary>The upstream refused Kiln's credential (a revoked or wrong secret, a missing scope): never retried.</summary>
public sealed class UpstreamAuthException(string message) : Exception(message);

/// <summary>An upstream answer: its status, its JSON body (null when it was not JSON) and its Retry-After.</summary>
public sealed record UpstreamAnswer(int Status, JsonElement? Body, TimeSpan? RetryAfter)
{
    public bool Ok => Status is >= 200 and < 300;

    public string? Str(string name) => Body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The upstream's own error as a <see cref="Refusal"/>: status, error_code, message and validation_errors unchanged.</summary>
    public Refusal AsRefusal(string upstream)
    {
        List<ValidationError>? errors = null;
        if (Body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("validation_errors", out var v) && v.ValueKind == JsonValueKind.Array)
        {
            try { errors = v.Deserialize<List<ValidationError>>(); }
            catch (JsonException) { errors = null; }
        }
        return new Refusal(Status, Str("error_code") ?? (Status == 422 ? "validation_error" : "bad_request"),
            Str("message") ?? $"The upstream '{upstream}' answered HTTP {Status}", (int?)RetryAfter?.TotalSeconds, errors);
    }
}

/// <summary>Sends one call to an upstream and sorts its failures: outage (retry), credential (stop), or the upstream's own answer.</summary>
public static class UpstreamCalls
{
    public static async Task<UpstreamAnswer> SendAsync(HttpClient http, string upstream, HttpRequestMessage req, TimeSpan timeout, TimeProvider clock, CancellationToken ct)
    {
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        req.Options.Set(UpstreamMeter.CallerToken, ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        HttpResponseMessage res;
        try
        {
            res = await http.SendAsync(req, HttpCompletionOption.ResponseContentRead, cts.Token);
        }
        catch (KilnAuthenticationException e)
        {
            throw TokenFailure(upstream, e.Result);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamDownException($"The upstream '{upstream}' could not be reached ({e.HttpRequestError}: {e.Message})");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new UpstreamDownException($"The upstream '{upstream}' did not answer within {timeout.TotalSeconds:0} s");
        }
        using (res)
        {
            var status = (int)res.StatusCode;
            var retryAfter = res.Headers.RetryAfter is { } ra ? ra.Delta ?? (ra.Date is { } d ? d - clock.GetUtcNow() : null) : null;
            if (retryAfter < TimeSpan.Zero) retryAfter = TimeSpan.Zero;
            JsonElement? body = null;
            var text = await res.Content.ReadAsStringAsync(CancellationToken.None);
            if (text.Length > 0)
            {
                try { body = JsonDocument.Parse(text).RootElement.Clone(); }
                catch (JsonException) { body = null; }
            }
            if (status == 401)
                throw new UpstreamAuthException($"The upstream '{upstream}' rejected Kiln's access token even after a fresh one was minted (HTTP 401). "
                    + $"Its credential may have been disabled or removed; run `kiln upstream test {upstream}`.");
            if (status == 403)
                throw new UpstreamAuthException($"The upstream '{upstream}' refused access (HTTP 403 {new UpstreamAnswer(status, body, null).Str("error_code")}: "
                    + $"{new UpstreamAnswer(status, body, null).Str("message")}). Check that its credential is subscribed to the Firefly API and the profile's scopes.");
            if (status == 429)
                throw new UpstreamDownException($"The upstream '{upstream}' is rate limiting Kiln", 429, retryAfter ?? TimeSpan.FromSeconds(5),
                    res.Headers.TryGetValues(FireflyErrors.RateLimitLevelHeader, out var level) ? level.FirstOrDefault() : null);
            if (status is 408 or >= 500)
                throw new UpstreamDownException($"The upstream '{upstream}' answered HTTP {status}", 503, retryAfter);
            return new UpstreamAnswer(status, body, retryAfter);
        }
    }

    /// <summary>Why a token could not be minted: an outage of the upstream's IMS (retry), or a refused credential (stop, and say which).</summary>
    public static Exception TokenFailure(string upstream, TokenResult r)
    {
        if (r.StatusCode is 0 or 408 or 429 or >= 500)
            return new UpstreamDownException($"The upstream '{upstream}' could not mint a token ({r.Error}: {r.ErrorDescription})", r.StatusCode == 429 ? 429 : 503, r.RetryAfter);
        return new UpstreamAuthException(r.Error switch
        {
            "invalid_client" => $"The upstream '{upstream}' rejected Kiln's client credentials (invalid_client: {r.ErrorDescription}). The client secret was probably "
                + $"revoked or rotated outside Kiln: store the current one with `kiln upstream add {upstream} --replace`, then `kiln upstream test {upstream}`.",
            "invalid_scope" => $"The upstream '{upstream}' refused the profile's scopes (invalid_scope: {r.ErrorDescription}). Subscribe its credential to the APIs that grant them, or change the profile's scopes.",
            _ => $"The upstream '{upstream}' refused to mint a token (HTTP {r.StatusCode} {r.Error}: {r.ErrorDescription}).",
        });
    }

    /// <summary>The content type of an image from its first bytes (JPEG, PNG or WebP), for <c>/v2/storage/image</c>.</summary>
    public static string ImageType(byte[] b) =>
        b.Length > 3 && b[0] == 0x89 && b[1] == 0x50 ? "image/png"
        : b.Length > 11 && b[0] == (byte)'R' && b[8] == (byte)'W' && b[9] == (byte)'E' ? "image/webp"
        : "image/jpeg";

}
