using System.Xml.Linq;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>
/// Wraps the secret part of each Data Protection key (the one ASP.NET Core marks <c>requiresEncryption</c>) under
/// Kiln's key-encryption key before the key reaches the DataProtectionKeys table (docs/security.md#keys-at-rest).
/// </summary>
public sealed class KekXmlEncryptor(KeyEncryption kek) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement) => new(Wrap(kek, plaintextElement), typeof(KekXmlDecryptor));

    internal static XElement Wrap(KeyEncryption kek, XElement plaintext) =>
        new(KeysAtRest.DataProtectionElement,
            kek.WrapText(System.Text.Encoding.UTF8.GetBytes(plaintext.ToString(SaveOptions.DisableFormatting)), KeysAtRest.DataProtectionPurpose));
}

/// <summary>Opens what <see cref="KekXmlEncryptor"/> wrapped. Data Protection creates it by type, with the service provider.</summary>
public sealed class KekXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var kek = services.GetRequiredService<KeyEncryption>();
        var plain = kek.UnwrapText(encryptedElement.Value, KeysAtRest.DataProtectionPurpose);
        return XElement.Parse(System.Text.Encoding.UTF8.GetString(plain));
    }
}

/// <summary>
/// Start-up: keys written before keys at rest (moved from ServerSettings by the KeysAtRest migration) still hold their
/// secret in clear; wrap it the way Data Protection would have, so people stay signed in across the upgrade.
/// </summary>
public sealed class DataProtectionKeysUpgrade(KeyEncryption kek, ILogger<DataProtectionKeysUpgrade> log) : IStartupTask
{
    private static readonly XNamespace DataProtection = "http://schemas.asp.net/2015/03/dataProtection";

    public async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<KilnDb>();
        var wrapped = 0;
        foreach (var row in await db.DataProtectionKeys.Where(k => k.Xml != null && k.Xml.Contains("requiresEncryption")).ToListAsync(ct))
        {
            var xml = XElement.Parse(row.Xml!);
            var plain = xml.Descendants().Where(e => (string?)e.Attribute(DataProtection + "requiresEncryption") == "true").ToList();
            if (plain.Count == 0) continue;
            foreach (var e in plain)
                e.ReplaceWith(new XElement(DataProtection + "encryptedSecret",
                    new XAttribute("decryptorType", typeof(KekXmlDecryptor).AssemblyQualifiedName!), KekXmlEncryptor.Wrap(kek, e)));
            row.Xml = xml.ToString(SaveOptions.DisableFormatting);
            wrapped++;
        }
        if (wrapped == 0) return;
        await db.SaveChangesAsync(ct);
        log.LogInformation("Wrapped {Count} plaintext Data Protection keys under key-encryption key {KeyId}", wrapped, kek.CurrentKeyId);
    }
}
