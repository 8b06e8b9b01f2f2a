using System.Buffers;
using System.Text;

namespace Kiln.Server.Ims;

/// <summary>
/// The token endpoint's 200 answer, <c>{"access_token":…,"token_type":"bearer","expires_in":…}</c> as
/// <see cref="TokenResponse"/> through <c>TypedResults.Ok</c> writes it (same bytes, same content type), written straight
/// into the response without the serializer. A JWS is base64url and dots, which JSON never escapes; anything else
/// goes through the serializer.
/// </summary>
internal sealed class TokenResponseResult : IResult
{
    private static readonly SearchValues<char> JwsChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");
    private readonly IssuedToken _token;

    private TokenResponseResult(IssuedToken token) => _token = token;

    public static IResult For(IssuedToken token) => token.AccessToken.AsSpan().ContainsAnyExcept(JwsChars)
        ? TypedResults.Ok(new TokenResponse(token.AccessToken, "bearer", token.ExpiresInSeconds))
        : new TokenResponseResult(token);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var token = _token.AccessToken;
        var start = "{\"access_token\":\""u8;
        var middle = "\",\"token_type\":\"bearer\",\"expires_in\":"u8;
        var span = response.BodyWriter.GetSpan(start.Length + token.Length + middle.Length + 12);
        start.CopyTo(span);
        var n = start.Length;
        n += Encoding.ASCII.GetBytes(token, span[n..]);
        middle.CopyTo(span[n..]);
        n += middle.Length;
        if (!_token.ExpiresInSeconds.TryFormat(span[n..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidOperationException("unreachable: 12 bytes hold any int");
        n += digits;
        span[n++] = (byte)'}';
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = n;
        response.BodyWriter.Advance(n);
        return Task.CompletedTask; // Kestrel sends it with the headers when the request completes

    }
}
