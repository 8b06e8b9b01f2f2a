using System.Text;

namespace Kiln.Server.Tests.Security;

/// <summary>Generators of hostile input: boundary JSON, wrong types, deep nesting, bad bytes, broken multipart, garbage tokens.</summary>
public static class FuzzInput
{
    /// <summary>Field names the APIs read, so wrong values land on real fields and reach the validators.</summary>
    public static readonly string[] Fields =
    [
        "prompt", "negativePrompt", "numVariations", "seeds", "size", "width", "height", "contentClass", "style", "presets", "strength",
        "imageReference", "structure", "image", "source", "url", "uploadId", "mask", "invert", "placement", "inset", "alignment",
        "horizontal", "vertical", "visualIntensity", "tileable", "promptBiasingLocaleCode", "customModelId", "upsamplerType",
        "name", "title", "description", "type", "who_created", "templateId", "notifications_enabled", "services", "sdkCode",
        "atlasPlanCode", "licenseConfigs", "roles", "projectId", "workspaceId", "email", "role", "client_id", "client_secret",
        "grant_type", "scope", "device_code", "token", "password", "request", "files",
    ];

    /// <summary>Boundary and wrong-typed JSON literals (raw JSON text).</summary>
    public static readonly string[] Literals =
    [
        "0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1e308", "-1e308", "1.7976931348623157e308", "4.9e-324",
        "1e309", "1e-400", "0.5", "-0.0", "1.0", "1E2", "123456789012345678901234567890", "null", "true", "false", "\"\"", "\" \"",
        "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1e999\"", "\"0x10\"", "\"٣\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\uDFFF\\uD800\"",
        "\"2048\"", "\" 2048 \"", "\"-1\"", "\"true\"", "\"photo\"", "\"../../etc/passwd\"", "\"http://169.254.169.254/latest\"",
        "\"file:///etc/passwd\"", "\"00000000-0000-0000-0000-000000000000\"", "[]", "{}", "[null]", "[[]]", "[{}]", "{\"\":null}",
        "[1,1]", "[1,2,3,4,5]", "[\"a\",\"a\"]", "{\"width\":2048,\"height\":2048}", "{\"source\":{}}", "{\"source\":{\"url\":null,\"uploadId\":null}}",
    ];

    public static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "application/merge-patch+json",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=kiln", "multipart/form-data", "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"unterminated", "text/plain", "text/html", "application/octet-stream", "image/png", "image/jpeg",
        "////", "application/json; boundary=x; charset=nope", "",
    ];

    public static string Pick(Random r, string[] from) => from[r.Next(from.Length)];

    /// <summary>A random JSON document of bounded depth, made of field names the APIs know and boundary values.</summary>
    public static string Json(Random r, int depth = 0)
    {
        if (depth > 3 || r.Next(4) == 0) return Pick(r, Literals);
        if (r.Next(3) == 0)
            return "[" + string.Join(",", Enumerable.Range(0, r.Next(0, 5)).Select(_ => Json(r, depth + 1))) + "]";
        var members = Enumerable.Range(0, r.Next(0, 7)).Select(_ => $"\"{Pick(r, Fields)}\":{Json(r, depth + 1)}").ToList();
        if (members.Count > 0 && r.Next(4) == 0) members.Add(members[0]); // duplicate key
        return "{" + string.Join(",", members) + "}";
    }

    /// <summary>A plausible body (valid prompt) with one field swapped for a wrong or boundary value: reaches validation.</summary>
    public static string Mutated(Random r)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prompt"] = "\"a cat\"", ["name"] = $"\"fuzz{r.Next(1000)}\"", ["title"] = "\"t\"", ["description"] = "\"d\"",
            ["email"] = "\"f@example.com\"", ["role"] = "\"developer\"",
        };
        for (var i = 0; i < r.Next(1, 4); i++) fields[Pick(r, Fields)] = Pick(r, Literals);
        return "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";
    }

    public static string Deep(Random r, int levels)
    {
        var (open, close) = r.Next(2) == 0 ? ("[", "]") : ("{\"a\":", "}");
        var sb = new StringBuilder(levels * (open.Length + 1));
        for (var i = 0; i < levels; i++) sb.Append(open);
        sb.Append('1');
        for (var i = 0; i < levels; i++) sb.Append(close);
        return sb.ToString();
    }

    /// <summary>A JSON body holding one string of <paramref name="chars"/> characters.</summary>
    public static string Huge(Random r, int chars) => $"{{\"{Pick(r, Fields)}\":\"{new string((char)('a' + r.Next(26)), chars)}\"}}";

    public static byte[] RandomBytes(Random r, int max)
    {
        var b = new byte[r.Next(1, max)];
        r.NextBytes(b);
        return b;
    }

    /// <summary>JSON whose string values hold bytes that are not UTF-8 (lone continuation bytes, overlongs, surrogates).</summary>
    public static byte[] BadUtf8Json(Random r)
    {
        byte[][] bad = [[0xC3, 0x28], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xE2, 0x82]];
        var bytes = new List<byte>(Encoding.UTF8.GetBytes($"{{\"{Pick(r, Fields)}\":\"a"));
        bytes.AddRange(bad[r.Next(bad.Length)]);
        bytes.AddRange(Encoding.UTF8.GetBytes("\"}"));
        return [.. bytes];
    }

    /// <summary>Multipart bodies that are truncated, mis-bounded or hold garbage parts.</summary>
    public static byte[] BrokenMultipart(Random r)
    {
        var part = r.Next(3) switch
        {
            0 => "--kiln\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n" + Json(r) + "\r\n",
            1 => "--kiln\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\u0089PNG\r\n\u001a\n garbage\r\n",
            _ => "--kiln\r\nContent-Disposition: form-data; name=\"" + Pick(r, Fields) + "\"\r\n\r\n" + Pick(r, Literals) + "\r\n",
        };
        var body = string.Concat(Enumerable.Repeat(part, r.Next(1, 4))) + (r.Next(2) == 0 ? "--kiln--\r\n" : "");
        body = r.Next(4) switch
        {
            0 => body[..r.Next(body.Length)],
            1 => body.Replace("--kiln", "--other", StringComparison.Ordinal),
            2 => body.Replace("\r\n\r\n", "\r\n", StringComparison.Ordinal),
            _ => body,
        };
        return Encoding.Latin1.GetBytes(body);
    }

    /// <summary>Form bodies with invalid escapes, binary, empty keys and repeated separators.</summary>
    public static string BadForm(Random r) => string.Join(Pick(r, ["&", "&&", ";", "&="]), Enumerable.Range(0, r.Next(1, 6)).Select(_ => r.Next(6) switch
    {
        0 => Pick(r, Fields) + "=%" + (char)r.Next(32, 127) + (char)r.Next(32, 127),
        1 => Pick(r, Fields) + "=" + Encoding.Latin1.GetString(RandomBytes(r, 40)),
        2 => "=" + Pick(r, Literals),
        3 => Pick(r, Fields) + "=%C3%28%FF%00",
        4 => Pick(r, Fields),
        _ => Pick(r, Fields) + "=" + Uri.EscapeDataString(Pick(r, Literals)),
    }));

    /// <summary>A garbage Authorization header value (ASCII only, well under Kestrel's header limits).</summary>
    public static string Authorization(Random r, string? validToken) => r.Next(9) switch
    {
        0 => "Bearer",
        1 => "Bearer " + B64(r) + "." + B64(r) + "." + B64(r),
        2 => "Bearer " + new string('a', r.Next(8000, 9000)),
        3 => "Basic " + Convert.ToBase64String(RandomBytes(r, 60)),
        4 => "Basic !!!not-base64",
        5 when validToken is not null => "Bearer " + Mutate(r, validToken),
        6 when validToken is not null => "Bearer " + validToken[..r.Next(validToken.Length)],
        7 => "Bearer " + B64(r) + ".." ,
        _ => Pick(r, ["Bearer null", "Bearer undefined", "bearer  ", "Digest x", "Bearer a.b.c.d.e", "Bearer eyJhbGciOiJub25lIn0.e30."]),
    };

    public static string ApiKey(Random r, string real) => r.Next(5) switch
    {
        0 => "",
        1 => real.ToUpperInvariant(),
        2 => new string('k', r.Next(1, 4000)),
        3 => real + " ",
        _ => Ascii(Encoding.Latin1.GetString(RandomBytes(r, 40))),
    };

    /// <summary>Flips, drops or inserts a few characters (base64url alphabet), keeping the result ASCII.</summary>
    public static string Mutate(Random r, string s)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=";
        var chars = new StringBuilder(s);
        for (var n = r.Next(1, 4); n > 0 && chars.Length > 0; n--)
        {
            var i = r.Next(chars.Length);
            switch (r.Next(3))
            {
                case 0: chars[i] = alphabet[r.Next(alphabet.Length)]; break;
                case 1: chars.Remove(i, 1); break;
                default: chars.Insert(i, alphabet[r.Next(alphabet.Length)]); break;
            }
        }
        return chars.ToString();
    }

    public static string B64(Random r) => Infrastructure.Jwt.Encode(RandomBytes(r, 200));

    /// <summary>Hostile path parameter values, already in request-target form (some percent-encoded on purpose).</summary>
    public static readonly string[] PathValues =
    [
        "0", "-1", "1", "2147483648", "9223372036854775807", "9223372036854775808", "99999999999999999999999999", "-9223372036854775809",
        "abc", "1.5", "1e3", "0x10", "%00", "%2e%2e", "..%2f..%2fetc", "%C3%28", "%FF", "%E2%82", "caf%C3%A9", "%F0%9F%98%80", "%20",
        "urn:ff:jobs:kiln:00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000", "null", "undefined", "%25",
        "a%3Bb", "%3Cscript%3E", "entp", "oauth-server-to-server",
    ];

    public static string PathValue(Random r) => r.Next(8) == 0 ? new string('9', r.Next(100, 3000)) : Pick(r, PathValues);

    public static string Ascii(string s) => new(s.Where(c => c is >= ' ' and <= '~').ToArray());
}
