using Microsoft.Extensions.Options;

namespace Kiln.Server.Core;

/// <summary>Builds absolute URLs that point back at this Kiln (status, cancel and file URLs).</summary>
public sealed class PublicUrl(IOptions<KilnOptions> options, IHttpContextAccessor http)
{
    public string Base
    {
        get
        {
            if (options.Value.PublicBaseUrl is { Length: > 0 } configured) return configured.TrimEnd('/');
            var req = http.HttpContext?.Request
                      ?? throw new InvalidOperationException("No request to derive the public URL from; set Kiln:PublicBaseUrl.");
            return $"{req.Scheme}://{req.Host}{req.PathBase}";
        }
    }

    public string For(string path) => Base + (path.StartsWith('/') ? path : "/" + path);
}
