using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Server.Hosting.Telemetry;

/// <summary>
/// Who may read <c>/metrics</c> (docs/operations.md#metrics): it is served only on the separate metrics listener
/// (<c>Kiln:Metrics:Urls</c>, never the public one), to callers from <c>Kiln:Metrics:AllowedNetworks</c> (loopback by
/// default) or, from anywhere that reaches the listener, with <c>Authorization: Bearer</c> and <c>Kiln:Metrics:Token</c>.
/// Anyone else gets 403.
/// </summary>
public sealed record MetricsAccess(string[] Urls, IPNetwork[] Networks, byte[]? TokenHash)
{
    public const string Section = "Kiln:Metrics";

    public static MetricsAccess From(IConfiguration config)
    {
        var s = config.GetSection(Section);
        var urls = Split(s["Urls"]);
        var networks = new List<IPNetwork>();
        foreach (var n in Split(s["AllowedNetworks"] ?? "127.0.0.0/8,::1/128"))
        {
            if (!IPNetwork.TryParse(n.Contains('/', StringComparison.Ordinal) ? n : n + (n.Contains(':', StringComparison.Ordinal) ? "/128" : "/32"), out var net))
                throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(MetricsAccess),
                    [$"{Section}:AllowedNetworks: '{n}' is not an address or a CIDR network"]);
            networks.Add(net);
        }
        var token = s["Token"];
        if (token is { Length: > 0 and < 16 })
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(MetricsAccess), [$"{Section}:Token must be at least 16 characters"]);
        return new MetricsAccess(urls, [.. networks], token is { Length: > 0 } ? SHA256.HashData(Encoding.UTF8.GetBytes(token)) : null);
    }

    public bool Allows(HttpContext ctx)
    {
        if (TokenHash is not null && ctx.Request.Headers.Authorization.ToString() is var auth
            && auth.StartsWith("Bearer ", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(auth[7..].Trim())), TokenHash))
            return true;
        var remote = ctx.Connection.RemoteIpAddress;
        if (remote is null) return false;
        if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        return Networks.Any(n => n.Contains(remote));
    }

    private static string[] Split(string? value) =>
        (value ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
