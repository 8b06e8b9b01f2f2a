using Kiln.Server.Core;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

/// <summary>
/// The one issuer identifier: the tokens' <c>iss</c> and the discovery document's <c>issuer</c> (docs/identity.md#issuer).
/// It never depends on the request's host, so a token minted through one host name validates at a resource server
/// that discovered Kiln through another, and every node of a cluster agrees on it.
/// </summary>
public sealed class ImsIssuer
{
    /// <summary>The issuer of every Kiln before discovery existed; still the default when no URL is configured.</summary>
    public const string Legacy = "kiln-ims";

    public ImsIssuer(IOptions<ImsOptions> ims, IOptions<KilnOptions> kiln)
    {
        // 1. Kiln:Ims:Issuer as written; 2. Kiln:PublicBaseUrl + "/ims"; 3. the legacy constant.
        Value = ims.Value.Issuer is { Length: > 0 } configured ? configured
            : kiln.Value.PublicBaseUrl is { Length: > 0 } publicUrl ? publicUrl.TrimEnd('/') + "/ims"
            : Legacy;
        // Tokens minted before the default changed (iss "kiln-ims") keep working until they expire,
        // unless the operator chose an issuer explicitly.
        Accepted = ims.Value.Issuer is { Length: > 0 } || Value == Legacy ? [Value] : [Value, Legacy];
    }

    public string Value { get; }

    /// <summary>The issuers Kiln's own validator accepts.</summary>
    public IReadOnlyList<string> Accepted { get; }
}
