using System.Security.Cryptography;
using System.Xml.Linq;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Core;

/// <summary>
/// Where the wrapped keys sit in the database, and the two operations that touch all of them: reading or creating a
/// secret setting (the pepper, the URL-signing key) and re-wrapping everything under the current KEK, which
/// <c>kiln admin rotate-kek</c> runs (docs/security.md#rotating-the-key-encryption-key).
/// </summary>
public static class KeysAtRest
{
    /// <summary>The element that holds a wrapped Data Protection secret inside a key's XML (written by the Web feature's encryptor).</summary>
    public static readonly XName DataProtectionElement = XName.Get("kekWrapped", "urn:kiln:keys-at-rest");

    public const string DataProtectionPurpose = "DataProtectionKeys";

    public static string SigningKeyPurpose(string kid) => "SigningKeys/" + kid;

    public static string SettingPurpose(string key) => "ServerSettings/" + key;

    /// <summary>
    /// The 32-byte secret kept in ServerSettings under <paramref name="key"/>: created (wrapped) once, by whichever node
    /// gets there first; a plaintext value left by an older version is wrapped in place.
    /// </summary>
    public static async Task<byte[]> SecretSettingAsync(KilnDb db, KeyEncryption kek, string key, ILogger log, CancellationToken ct)
    {
        var purpose = SettingPurpose(key);
        var row = await db.ServerSettings.AsNoTracking().FirstOrDefaultAsync(s => s.Key == key, ct);
        if (row is null)
        {
            db.ServerSettings.Add(new ServerSetting { Key = key, Value = kek.WrapText(RandomNumberGenerator.GetBytes(32), purpose) });
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateException) { db.ChangeTracker.Clear(); } // another node won the race; read theirs
            row = await db.ServerSettings.AsNoTracking().FirstAsync(s => s.Key == key, ct);
        }
        if (KeyEncryption.IsWrappedText(row.Value)) return kek.UnwrapText(row.Value, purpose);

        var plain = Convert.FromBase64String(row.Value);
        var wrapped = kek.WrapText(plain, purpose);
        // Only the row still in plaintext is replaced: a node that wrapped it meanwhile keeps its (equal) value.
        await db.ServerSettings.Where(s => s.Key == key && s.Value == row.Value).ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, wrapped), ct);
        log.LogInformation("Wrapped the plaintext {Setting} under key-encryption key {KeyId}", key, kek.CurrentKeyId);
        return plain;
    }

    /// <summary>What <see cref="RewrapAllAsync"/> changed.</summary>
    public sealed record RewrapCount(int SigningKeys, int Settings, int DataProtectionKeys);

    /// <summary>The associated data of an upstream profile's wrapped client secret (docs/upstream.md#threat-model-of-the-stored-secret).</summary>
    public static string UpstreamSecretPurpose(string profileId) => "UpstreamProfiles/" + profileId;

    /// <summary>
    /// Unwraps every wrapped key with any loaded KEK and wraps it again under the current one, in one transaction:
    /// either every row moves or none does. A value nothing opens stops it with <see cref="KeyEncryptionException"/>.
    /// </summary>
    public static async Task<RewrapCount> RewrapAllAsync(KilnDb db, KeyEncryption kek, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var signing = 0;
        foreach (var row in await db.SigningKeys.ToListAsync(ct))
        {
            var purpose = SigningKeyPurpose(row.Kid);
            var plain = KeyEncryption.IsWrapped(row.PrivateKey) ? kek.Unwrap(row.PrivateKey, purpose) : row.PrivateKey;
            row.PrivateKey = kek.Wrap(plain, purpose);
            signing++;
        }
        var settings = 0;
        foreach (var row in await db.ServerSettings.ToListAsync(ct))
        {
            if (!KeyEncryption.IsWrappedText(row.Value)) continue;
            var purpose = SettingPurpose(row.Key);
            row.Value = kek.WrapText(kek.UnwrapText(row.Value, purpose), purpose);
            settings++;
        }
        foreach (var row in await db.UpstreamProfiles.ToListAsync(ct))
        {
            var purpose = UpstreamSecretPurpose(row.Id);
            row.SecretWrapped = kek.WrapText(kek.UnwrapText(row.SecretWrapped, purpose), purpose);
            if (row.PreviousSecretWrapped is { } previous) row.PreviousSecretWrapped = kek.WrapText(kek.UnwrapText(previous, purpose), purpose);
            settings++;
        }
        var dp = 0;
        foreach (var row in await db.DataProtectionKeys.ToListAsync(ct))
        {
            if (row.Xml is null) continue;
            var xml = XElement.Parse(row.Xml);
            var wrapped = xml.Descendants(DataProtectionElement).ToList();
            if (wrapped.Count == 0) continue;
            foreach (var e in wrapped)
                e.Value = kek.WrapText(kek.UnwrapText(e.Value, DataProtectionPurpose), DataProtectionPurpose);
            row.Xml = xml.ToString(SaveOptions.DisableFormatting);
            dp++;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new RewrapCount(signing, settings, dp);
    }

    /// <summary>
    /// <c>kiln admin rotate-kek</c>. With a key file: a new KEK is written first next to the old one (so a crash
    /// at any point leaves a file that opens every row), every key is re-wrapped, then the old KEK leaves the file.
    /// With a setting or environment variable the operator supplies the keys (new first, old after it) and
    /// removes the old one afterwards.
    /// </summary>
    public static async Task<(RewrapCount Count, string NewKeyId)> RotateAsync(KilnDb db, KeyEncryption kek, CancellationToken ct)
    {
        if (kek.Source.FilePath is { } file)
        {
            var fresh = RandomNumberGenerator.GetBytes(32);
            IReadOnlyList<byte[]> both = [fresh, .. kek.RawKeys];
            await KeyEncryption.WriteKeyFileAsync(file, both, ct);
            kek.Replace(both);
            var count = await RewrapAllAsync(db, kek, ct);
            await KeyEncryption.WriteKeyFileAsync(file, [fresh], ct);
            kek.Replace([fresh]);
            return (count, kek.CurrentKeyId);
        }
        return (await RewrapAllAsync(db, kek, ct), kek.CurrentKeyId);
    }
}
