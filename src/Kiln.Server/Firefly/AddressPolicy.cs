using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>Resolves source-URL host names; injectable so tests can make a name resolve anywhere.</summary>
public interface ISourceHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

public sealed class DnsSourceHostResolver : ISourceHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}

/// <summary>
/// The SSRF rule of docs/firefly.md#source-urls-and-ssrf: source URLs only reach allowed hosts, and never loopback, private,
/// link-local, CGNAT, multicast or metadata addresses unless configured.
/// </summary>
public sealed class AddressPolicy(IOptions<FireflyOptions> options)
{
    private static readonly IPNetwork[] Forbidden =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"), IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("fec0::/10"),
    ];

    public bool HostAllowed(string host)
    {
        host = host.TrimEnd('.').ToLowerInvariant();
        foreach (var allowed in options.Value.SourceHosts)
        {
            var a = allowed.Trim().TrimStart('.').ToLowerInvariant();
            if (a == "*" || host == a || host.EndsWith("." + a, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>True when a connection to <paramref name="address"/> is allowed.</summary>
    public bool AddressAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var o = options.Value;
        if (o.AllowPrivateSourceAddresses) return true;
        foreach (var a in o.AllowedPrivateSourceAddresses)
        {
            if (IPAddress.TryParse(a, out var single) && single.Equals(address)) return true;
            if (IPNetwork.TryParse(a, out var net) && net.Contains(address)) return true;
        }
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && (address.IsIPv6SiteLocal || address.IsIPv6LinkLocal || address.IsIPv6Multicast)) return false;
        // IPv4 embedded in IPv6 (compatible ::a.b.c.d, 6to4 2002::/16): judge the embedded address too.
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            if (b[0] == 0x20 && b[1] == 0x02 && !AddressAllowed(new IPAddress(b.AsSpan(2, 4)))) return false;
            if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !AddressAllowed(new IPAddress(b.AsSpan(12, 4)))) return false;
        }
        return !Forbidden.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address));
    }
}
