using Kiln.Server.Core;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// Downloads <c>source.url</c> images under the SSRF rule: the host must be allowed, every address the name
/// resolves to must be allowed, the connection goes to the checked address (so DNS rebinding gains nothing),
/// redirects are followed by hand (at most 3) with every hop checked again, and the size is capped.
/// </summary>
public sealed class SourceFetcher : IDisposable
{
    private const int MaxRedirects = 3;
    private readonly AddressPolicy _policy;
    private readonly ISourceHostResolver _resolver;
    private readonly IOptions<FireflyOptions> _options;
    private readonly HttpClient _http;

    public SourceFetcher(AddressPolicy policy, ISourceHostResolver resolver, IOptions<FireflyOptions> options)
    {
        _policy = policy;
        _resolver = resolver;
        _options = options;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        }) { Timeout = options.Value.SourceTimeout };
    }

    private sealed class RefusedException(string message) : Exception(message);

    /// <summary>Refuses a URL before any network access: scheme, literal addresses and the host allow-list. Null: allowed.</summary>
    public Refusal? CheckUrl(Uri uri, object[] loc)
    {
        if (uri.Scheme is not ("http" or "https")) return Refusal.Invalid(loc, "source url must be http or https");
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(uri.DnsSafeHost.Trim('[', ']'), out var ip) && !_policy.AddressAllowed(ip))
            return Refusal.Invalid(loc, $"source url points at a loopback, private or link-local address ({ip}), which is not allowed");
        if (!_policy.HostAllowed(uri.IdnHost))
            return Refusal.Invalid(loc, $"source url host '{uri.IdnHost}' is not in the allowed hosts ({string.Join(", ", _options.Value.SourceHosts)})");
        return null;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext ctx, CancellationToken ct)
    {
        var host = ctx.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await _resolver.ResolveAsync(host, ct);
        if (addresses.Length == 0) throw new RefusedException($"source host '{host}' did not resolve");
        if (addresses.FirstOrDefault(a => !_policy.AddressAllowed(a)) is { } bad)
            throw new RefusedException($"source host '{host}' resolves to a loopback, private or link-local address ({bad}), which is not allowed");
        var target = addresses[0].IsIPv4MappedToIPv6 ? addresses[0].MapToIPv4() : addresses[0];
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(target, ctx.DnsEndPoint.Port), ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Downloads the image; any refusal or failure is a 422 at <paramref name="loc"/>.</summary>
    public async Task<Checked<byte[]>> FetchAsync(string url, object[] loc, CancellationToken ct)
    {
        var uri = new Uri(url);
        var max = _options.Value.MaxSourceBytes;
        for (var hop = 0; ; hop++)
        {
            if (CheckUrl(uri, loc) is { } refused) return refused;
            using var req = new HttpRequestMessage(HttpMethod.Get, uri);
            HttpResponseMessage res;
            try
            {
                res = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                return Refusal.Invalid(loc, FindRefusal(e)?.Message ?? $"source url could not be downloaded ({e.HttpRequestError})");
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return Refusal.Invalid(loc, "source url timed out");
            }
            using (res)
            {
                if ((int)res.StatusCode is 301 or 302 or 303 or 307 or 308)
                {
                    if (hop >= MaxRedirects) return Refusal.Invalid(loc, "source url redirected too many times");
                    if (res.Headers.Location is not { } next) return Refusal.Invalid(loc, "source url redirected without a Location");
                    uri = next.IsAbsoluteUri ? next : new Uri(uri, next);
                    continue;
                }
                if (!res.IsSuccessStatusCode) return Refusal.Invalid(loc, $"source url answered HTTP {(int)res.StatusCode}");
                if (res.Content.Headers.ContentLength > max) return Refusal.Invalid(loc, $"source image is larger than {max} bytes");
                await using var body = await res.Content.ReadAsStreamAsync(ct);
                return await ReadCappedAsync(body, max, loc, ct);
            }
        }
    }

    internal static async Task<Checked<byte[]>> ReadCappedAsync(Stream body, long max, object[] loc, CancellationToken ct) =>
        await CappedBody.ReadAsync(body, max, ct) is { } bytes ? bytes : Refusal.Invalid(loc, $"source image is larger than {max} bytes");

    private static RefusedException? FindRefusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException) if (e is RefusedException r) return r;
        return null;
    }

    public void Dispose() => _http.Dispose();
}
