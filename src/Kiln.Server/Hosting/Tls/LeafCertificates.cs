using System.Collections.Concurrent;
using System.Net.Security;

namespace Kiln.Server.Hosting.Tls;

/// <summary>
/// The leaf certificates this node presents, one per served name, signed by the installation's CA, issued on first
/// use and again before they expire (docs/adobe-hosts.md#the-ca). Every node issues its own; all chain to the one CA.
/// </summary>
public sealed class LeafCertificates(TimeProvider clock)
{
    /// <summary>How long a leaf is valid, and how long before its end a new one is issued.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7), RenewBefore = TimeSpan.FromDays(2);

    private sealed record Leaf(SslStreamCertificateContext Context, DateTimeOffset NotAfter);

    private readonly ConcurrentDictionary<string, Leaf> _leaves = new(StringComparer.Ordinal);
    private readonly Lock _issue = new();
    private volatile KilnCa? _ca;
    private volatile HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Set at start, once the CA is loaded from the database.</summary>
    public void Use(KilnCa ca)
    {
        _names = ca.PermittedNames.ToHashSet(StringComparer.Ordinal);
        _ca = ca;
        _leaves.Clear();
    }

    /// <summary>True when <paramref name="host"/> (any case, without port) is one of the CA's names.</summary>
    public bool Serves(string? host) => AdobeHosts.Normalize(host) is { } h && _names.Contains(h);

    /// <summary>
    /// The leaf for an SNI name: none (a client that connected by address) is the localhost leaf, which also names
    /// 127.0.0.1 and ::1; a name the CA may not sign for gets nothing, and the handshake is refused.
    /// </summary>
    public SslStreamCertificateContext? For(string? serverName)
    {
        var name = AdobeHosts.Normalize(serverName) ?? "localhost";
        if (name is "127.0.0.1" or "::1") name = "localhost";
        if (_ca is not { } ca || !_names.Contains(name)) return null;
        var now = clock.GetUtcNow();
        if (_leaves.TryGetValue(name, out var leaf) && leaf.NotAfter - now > RenewBefore) return leaf.Context;
        lock (_issue)
        {
            if (_leaves.TryGetValue(name, out leaf) && leaf.NotAfter - now > RenewBefore) return leaf.Context;
            var cert = ca.Issue(name, now, now + Lifetime);
            var fresh = new Leaf(SslStreamCertificateContext.Create(cert, additionalCertificates: null, offline: true), new DateTimeOffset(cert.NotAfter.ToUniversalTime()));
            _leaves[name] = fresh;
            return fresh.Context;
        }
    }
}
