using System.Net;
using System.Text.Json;

namespace Kiln.Client.Internal;

/// <summary>One client_credentials request to <c>/ims/token/v3</c>, percent-encoded; every outcome becomes a <see cref="TokenResult"/>.</summary>
internal static class ImsTokenClient
{
    public static async Task<TokenResult> MintAsync(HttpClient http, Uri imsBase, string clientId, string secret, string scopes,
        TimeProvider clock, int secretIndex, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_id", clientId),
            new("client_secret", secret),
        };
        if (scopes.Length > 0) form.Add(new("scope", scopes));
        using var req = new HttpRequestMessage(HttpMethod.Post, HttpHelpers.Under(imsBase, "ims/token/v3")) { Content = new FormUrlEncodedContent(form) };
        req.Headers.Accept.ParseAdd("application/json");
        HttpResponseMessage res;
        try { res = await http.SendAsync(req, ct).ConfigureAwait(false); }
        catch (HttpRequestException e) { return TokenResult.Failure("transport_error", e.Message); }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested) { return TokenResult.Failure("transport_error", "timeout: " + e.Message); }
        using (res)
        {
            var json = await HttpHelpers.TryReadJsonAsync(res, ct).ConfigureAwait(false);
            var retryAfter = HttpHelpers.RetryAfter(res, clock);
            if (res.StatusCode == HttpStatusCode.OK && json is { } ok && ok.Str("access_token") is { Length: > 0 } token
                && ok.TryGetProperty("expires_in", out var exp) && TryInt(exp, out var seconds) && seconds > 0)
                return TokenResult.Success(token, clock.GetUtcNow().AddSeconds(seconds), secretIndex);
            var error = json?.Str("error") ?? (res.StatusCode == HttpStatusCode.TooManyRequests ? "too_many_requests"
                : (int)res.StatusCode >= 500 ? "server_error" : res.IsSuccessStatusCode ? "invalid_response" : "http_" + (int)res.StatusCode);
            var description = json?.Str("error_description") ?? json?.Str("message") ?? res.ReasonPhrase;
            return TokenResult.Failure(error, description, (int)res.StatusCode, retryAfter, HttpHelpers.RequestId(res));
        }
    }

    private static bool TryInt(JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind switch
        {
            JsonValueKind.Number => e.TryGetInt64(out value),
            JsonValueKind.String => long.TryParse(e.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    /// <summary>IMS rejected this secret (not the client id): the next configured secret may work.</summary>
    public static bool SecretRejected(TokenResult r) =>
        r.Error == "invalid_client" && r.ErrorDescription != "invalid client_id parameter";
}
