using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Kiln.Server.Hosting.Tls;

/// <summary>
/// The X.509 Name Constraints extension (RFC 5280, 4.2.1.10) that limits Kiln's CA to the names it serves: permitted
/// subtrees only, one per name, a dNSName for a host name and an iPAddress with a full mask for an address
/// (docs/adobe-hosts.md#the-ca). .NET has no builder for it, so the DER is written here.
/// </summary>
public static class NameConstraints
{
    public const string Oid = "2.5.29.30";
    private static readonly Asn1Tag Permitted = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag DnsName = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag IpAddress = new(TagClass.ContextSpecific, 7);

    /// <summary>A critical extension that permits exactly <paramref name="names"/> (and, as RFC 5280 says, DNS names below them).</summary>
    public static X509Extension Build(IEnumerable<string> names)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence(Permitted))
        {
            foreach (var name in names)
            {
                using (w.PushSequence())
                {
                    if (IPAddress.TryParse(name, out var ip))
                    {
                        var address = ip.GetAddressBytes();
                        w.WriteOctetString([.. address, .. Enumerable.Repeat((byte)0xFF, address.Length)], IpAddress);
                    }
                    else w.WriteCharacterString(UniversalTagNumber.IA5String, name, DnsName);
                }
            }
        }
        return new X509Extension(Oid, w.Encode(), critical: true);
    }

    /// <summary>
    /// The permitted names of a certificate's Name Constraints (DNS names as written, addresses as text with
    /// <c>/bits</c> unless the mask is full), or null when it has none or one this code did not write.
    /// </summary>
    public static IReadOnlyList<string>? Read(X509Certificate2 cert)
    {
        if (cert.Extensions[Oid] is not { } ext) return null;
        try
        {
            var names = new List<string>();
            var outer = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
            var permitted = outer.ReadSequence(Permitted);
            while (permitted.HasData)
            {
                var subtree = permitted.ReadSequence();
                var tag = subtree.PeekTag();
                if (tag.HasSameClassAndValue(DnsName)) names.Add(subtree.ReadCharacterString(UniversalTagNumber.IA5String, DnsName));
                else if (tag.HasSameClassAndValue(IpAddress))
                {
                    var bytes = subtree.ReadOctetString(IpAddress);
                    var half = bytes.Length / 2;
                    var address = new IPAddress(bytes.AsSpan(0, half)).ToString();
                    var bits = bytes.AsSpan(half).ToArray().Sum(b => System.Numerics.BitOperations.PopCount(b));
                    names.Add(bits == half * 8 ? address : $"{address}/{bits}");
                }
                else return null;
            }
            return outer.HasData ? null : names;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
