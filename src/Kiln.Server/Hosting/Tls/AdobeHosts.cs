using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kiln.Server.Hosting.Tls;

/// <summary>
/// The host names Kiln answers at with <c>kiln serve --adobe-hosts</c> and <c>--proxy-port</c>, and the only names its
/// CA may sign for (docs/adobe-hosts.md#the-ca).
/// </summary>
public static class AdobeHosts
{
    /// <summary>Adobe's own hosts that the SDKs and the seed hard-code: the names a hosts-file block maps to Kiln.</summary>
    public static readonly IReadOnlyList<string> AdobeNames =
    [
        "ims-na1.adobelogin.com", "firefly-api.adobe.io", "api.adobe.io", "developers.adobe.io", "developer.adobe.com",
        "ims-na1-stg1.adobelogin.com", "developer-stage.adobe.com",
    ];

    /// <summary>The loopback names, which one leaf certificate covers.</summary>
    public static readonly IReadOnlyList<string> LocalNames = ["localhost", "127.0.0.1", "::1"];

    /// <summary>Every name served without operator additions (the CA's name constraints, before <c>--host-name</c>).</summary>
    public static readonly IReadOnlyList<string> ServedNames = [.. AdobeNames, .. LocalNames];

    /// <summary>The proxy's port when <c>kiln serve --proxy-port</c> and <c>kiln env</c> are given none.</summary>
    public const int DefaultProxyPort = 5080;

    /// <summary>The served names with the operator's additions (normalized, no duplicates), in a stable order.</summary>
    public static IReadOnlyList<string> Names(IEnumerable<string>? extraNames) =>
        [.. ServedNames, .. (extraNames ?? []).Select(n => Normalize(n)!).Where(n => n is not null && !ServedNames.Contains(n)).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// A host as written in SNI, a Host header or a CONNECT target, without the port: lower case, no trailing dot,
    /// IPv6 without brackets, IP addresses in their canonical text. Null when empty.
    /// </summary>
    public static string? Normalize(string? host)
    {
        if (string.IsNullOrWhiteSpace(host)) return null;
        var h = host.Trim().TrimEnd('.').ToLowerInvariant();
        if (h.StartsWith('[') && h.EndsWith(']')) h = h[1..^1];
        return IPAddress.TryParse(h, out var ip) && (ip.AddressFamily == AddressFamily.InterNetworkV6 || h.Count(c => c == '.') == 3)
            ? ip.ToString() : h;
    }

    /// <summary>Why an operator-added name cannot be served, or null: a DNS name (letters, digits, hyphens, dots) or an IP address.</summary>
    public static string? ProblemWith(string name)
    {
        var n = Normalize(name);
        if (n is null) return "an empty host name";
        if (IPAddress.TryParse(n, out _)) return null;
        if (n.Length > 253) return $"'{name}' is longer than 253 characters";
        foreach (var label in n.Split('.'))
        {
            if (label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-')
                || !label.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
                return $"'{name}' is not a DNS host name (letters, digits and hyphens between dots; no wildcards)";
        }
        return n.Contains('.', StringComparison.Ordinal) || n == "localhost" ? null : $"'{name}' is not a fully qualified host name";
    }

    internal static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Settings of the Adobe-hosts modes, section <c>Kiln:AdobeHosts</c> (docs/configuration.md).</summary>
public sealed class AdobeHostsOptions
{
    public const string Section = "Kiln:AdobeHosts";

    /// <summary><c>kiln serve --adobe-hosts</c>: the HTTPS listener that answers at Adobe's host names.</summary>
    public bool Enabled { get; set; }

    public int HttpsPort { get; set; } = 443;

    /// <summary>The HTTPS listener's address; loopback unless the operator opens it (a shared Kiln).</summary>
    public string HttpsAddress { get; set; } = "127.0.0.1";

    /// <summary><c>kiln serve --proxy-port</c>: the CONNECT proxy on 127.0.0.1 (null: off).</summary>
    public int? ProxyPort { get; set; }

    /// <summary>Names the operator adds to the served ones (<c>--host-name</c>); the CA is made for them.</summary>
    public List<string> ExtraNames { get; set; } = [];

    /// <summary>Replace the CA when the configured names differ from the ones it was made for.</summary>
    public bool ReissueCa { get; set; }

    public bool AnyMode => Enabled || ProxyPort is not null;

    public IReadOnlyList<string> AllNames => AdobeHosts.Names(ExtraNames);

    public static AdobeHostsOptions From(IConfiguration config) => config.GetSection(Section).Get<AdobeHostsOptions>() ?? new AdobeHostsOptions();

    /// <summary>What is wrong with the settings, or null.</summary>
    public string? Problem()
    {
        if (HttpsPort is < 1 or > 65535) return $"Kiln:AdobeHosts:HttpsPort (--https-port) must be 1 to 65535, not {HttpsPort}.";
        if (ProxyPort is < 1 or > 65535) return $"Kiln:AdobeHosts:ProxyPort (--proxy-port) must be 1 to 65535, not {ProxyPort}.";
        if (!IPAddress.TryParse(HttpsAddress, out _)) return $"Kiln:AdobeHosts:HttpsAddress (--https-address) '{HttpsAddress}' is not an IP address.";
        foreach (var n in ExtraNames)
            if (AdobeHosts.ProblemWith(n) is { } p) return $"Kiln:AdobeHosts:ExtraNames (--host-name): {p}.";
        return null;
    }
}
