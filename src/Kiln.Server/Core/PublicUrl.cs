using Microsoft.Extensions.Options;

namespace Kiln.Server.Core;

/// <summary>
/// Builds absolute URLs that point back at this Kiln (status, cancel and file URLs). A request that came in through
/// one of Adobe's host names (the Adobe-hosts listener or the proxy, which mark it with <see cref="RequestOriginItem"/>)
/// gets URLs on that scheme and host, even when <c>Kiln:PublicBaseUrl</c> is set: that client reaches Kiln only there
/// (docs/adobe-hosts.md#https-listener). Otherwise the configured base wins, then the request's own.
/// </summary>
public sealed class PublicUrl(IOptions<KilnOptions> options, IHttpContextAccessor http)
{
    /// <summary>The <see cref="HttpContext.Items"/> key that says "build URLs from this request's scheme and host".</summary>
    public const string RequestOriginItem = "Kiln.PublicUrl.RequestOrigin";

    public string Base
    {
        get
        {
            var ctx = http.HttpContext;
            if (ctx?.Items.ContainsKey(RequestOriginItem) == true) return FromRequest(ctx.Request);
            if (options.Value.PublicBaseUrl is { Length: > 0 } configured) return configured.TrimEnd('/');
            var req = ctx?.Request ?? throw new InvalidOperationException("No request to derive the public URL from; set Kiln:PublicBaseUrl.");
            return FromRequest(req);
        }
    }

    private static string FromRequest(HttpRequest req) => $"{req.Scheme}://{req.Host}{req.PathBase}";

    public string For(string path) => Base + (path.StartsWith('/') ? path : "/" + path);
}
