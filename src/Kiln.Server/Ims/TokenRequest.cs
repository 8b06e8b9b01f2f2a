using System.Text;
using Kiln.Server.Core;

namespace Kiln.Server.Ims;

/// <summary>
/// The parameters of an IMS POST, merged from the query string, the body and HTTP Basic (docs/identity.md#token-requests).
/// Accepts properly encoded forms, the FF-SDK's unencoded concatenation, and multipart/form-data.
/// Body parameters win over query parameters; Basic fills client_id/client_secret when absent.
/// </summary>
public sealed class TokenRequest
{
    public const int MaxBodyBytes = 64 * 1024;
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public string? this[string name] => _values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public static async Task<(TokenRequest? Request, string? Error)> ReadAsync(HttpRequest http, CancellationToken ct)
    {
        var r = new TokenRequest();
        foreach (var (k, v) in http.Query) r._values[k] = v.ToString().Trim();

        if (http.ContentLength > MaxBodyBytes) return (null, "request body too large");
        var contentType = http.ContentType ?? "";
        if (contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var form = await http.ReadFormAsync(ct);
                foreach (var (k, v) in form) r._values[k] = v.ToString().Trim();
            }
            // InvalidOperationException: a multipart Content-Type without a usable boundary (found by the parser fuzz).
            catch (Exception e) when ((e is InvalidDataException or IOException or BadHttpRequestException or InvalidOperationException) && !Outages.IsDiskFull(e))
            {
                return (null, "malformed multipart body");
            }
        }
        else if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            // Anything else (urlencoded, text/plain, or no type at all, as curl -d without -H sends) is read as a form.
            var body = await CappedBody.ReadAsync(http.Body, MaxBodyBytes, ct);
            if (body is null) return (null, "request body too large");
            r.AddForm(body);
        }
        r.ApplyBasic(http.Headers.Authorization.ToString());
        return (r, null);
    }

    /// <summary>
    /// Splits on '&amp;' and the first '='. Percent-escapes and '+' are decoded; an invalid escape is kept
    /// literally instead of failing, which is what the unencoded FF-SDK body needs.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> ParseForm(string body)
    {
        foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Decode(eq < 0 ? pair : pair[..eq]).Trim();
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            if (key.Length > 0) yield return new(key, value);
        }
    }

    private static string Decode(string s)
    {
        s = s.Replace('+', ' ');
        if (!s.Contains('%')) return s;
        var bytes = new List<byte>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '%' && i + 2 < s.Length && IsHex(s[i + 1]) && IsHex(s[i + 2]))
            {
                bytes.Add(Convert.ToByte(s.Substring(i + 1, 2), 16));
                i += 2;
            }
            else bytes.AddRange(Encoding.UTF8.GetBytes(s[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private void ApplyBasic(string authorization)
    {
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return;
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim())); }
        catch (FormatException) { return; }
        var colon = decoded.IndexOf(':');
        if (colon <= 0) return;
        // RFC 6749 §2.3.1: Basic credentials are form-encoded before base64.
        var id = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
        var secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
        if (this["client_id"] is null) _values["client_id"] = id;
        if (this["client_secret"] is null) _values["client_secret"] = secret;
    }

    /// <summary>
    /// <see cref="ParseForm"/> on the UTF-8 body without decoding it to one string first: split on the bytes '&amp;' and
    /// '=' (ASCII, so the split is the same as on the decoded text); a part with no '%' is decoded directly, one with a
    /// '%' goes through the same <see cref="Decode"/>. The usual parameter names come back as constants.
    /// </summary>
    private void AddForm(ReadOnlySpan<byte> body)
    {
        while (body.Length > 0)
        {
            var amp = body.IndexOf((byte)'&');
            var pair = amp < 0 ? body : body[..amp];
            body = amp < 0 ? default : body[(amp + 1)..];
            if (pair.IsEmpty) continue;
            var eq = pair.IndexOf((byte)'=');
            var key = Known(eq < 0 ? pair : pair[..eq]) ?? DecodeUtf8(eq < 0 ? pair : pair[..eq]).Trim();
            if (key.Length > 0) _values[key] = (eq < 0 ? "" : DecodeUtf8(pair[(eq + 1)..])).Trim();
        }
    }

    private static string? Known(ReadOnlySpan<byte> key) =>
        key.SequenceEqual("grant_type"u8) ? "grant_type"
        : key.SequenceEqual("client_id"u8) ? "client_id"
        : key.SequenceEqual("client_secret"u8) ? "client_secret"
        : key.SequenceEqual("scope"u8) ? "scope"
        : null;

    private static string DecodeUtf8(ReadOnlySpan<byte> part)
    {
        if (part.Contains((byte)'%')) return Decode(Encoding.UTF8.GetString(part));
        var text = Encoding.UTF8.GetString(part);
        return part.Contains((byte)'+') ? text.Replace('+', ' ') : text;
    }
}
