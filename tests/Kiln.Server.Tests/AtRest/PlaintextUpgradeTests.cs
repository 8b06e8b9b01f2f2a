using System.Security.Cryptography;
using System.Xml.Linq;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Server.Tests.AtRest;

/// <summary>
/// Upgrading from a version without keys at rest (docs/security.md#upgrading-from-plaintext-keys): a database whose keys
/// are stored as the old code wrote them (PKCS#8 signing keys, base64 pepper and URL key, Data Protection XML in
/// ServerSettings, schema at the Initial migration) is wrapped on start, and nothing is lost: tokens, client secrets
/// and console sessions from before keep working.
/// </summary>
public sealed class PlaintextUpgradeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kiln-upgrade-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        TestDatabase.Drop(_dir);
    }

    private Dictionary<string, string> Env => new() { ["KILN_KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(_kek) };

    private string ProjectsPage => "/console/projects/" + KeysKit.Demo(_dir).GetProperty("org_id").GetString();

    private KilnDb OpenDb() => TestDatabase.ConnectionFor(_dir) is { } pg
        ? new PostgresKilnDb(new DbContextOptionsBuilder<PostgresKilnDb>().UseNpgsql(pg).Options)
        : new SqliteKilnDb(new DbContextOptionsBuilder<SqliteKilnDb>().UseSqlite($"Data Source={Path.Combine(_dir, "kiln.db")};Pooling=False").Options);

    /// <summary>Rewrites the database the way the version before keys at rest left it.</summary>
    private async Task DowngradeToPlaintextAsync()
    {
        var kek = KeyEncryption.FromKeys(_kek);
        await using var db = OpenDb();
        foreach (var k in await db.SigningKeys.ToListAsync())
            k.PrivateKey = kek.Unwrap(k.PrivateKey, KeysAtRest.SigningKeyPurpose(k.Kid));
        foreach (var s in await db.ServerSettings.ToListAsync())
            s.Value = Convert.ToBase64String(kek.UnwrapText(s.Value, KeysAtRest.SettingPurpose(s.Key)));
        foreach (var row in await db.DataProtectionKeys.ToListAsync())
        {
            var xml = XElement.Parse(row.Xml!);
            foreach (var secret in xml.Descendants(XName.Get("encryptedSecret", "http://schemas.asp.net/2015/03/dataProtection")).ToList())
                secret.ReplaceWith(XElement.Parse(System.Text.Encoding.UTF8.GetString(
                    kek.UnwrapText(secret.Element(KeysAtRest.DataProtectionElement)!.Value, KeysAtRest.DataProtectionPurpose))));
            row.Xml = xml.ToString(SaveOptions.DisableFormatting);
        }
        await db.SaveChangesAsync();
        // The schema before this change: the Initial migration only (its Down moves the keys back to ServerSettings).
        await db.GetService<IMigrator>().MigrateAsync(db.Database.GetMigrations().First());
    }

    [Fact]
    public async Task Plaintext_keys_from_an_older_version_are_wrapped_on_start_and_keep_working()
    {
        var port = KilnProcess.FreePort();
        string token;
        UiSession ui;
        await using (var node = await KilnProcess.StartAsync(_dir, port, Env))
        {
            token = await KeysKit.TokenAsync(node.BaseUrl, KeysKit.Demo(_dir));
            ui = await UiSession.SignInAsync(new Uri(node.BaseUrl), "admin@kiln.local", KeysKit.AdminPassword(_dir));
            await ui.TokenAsync(ProjectsPage);
            await node.StopAsync();
        }
        using var _ = ui;

        await DowngradeToPlaintextAsync();
        var old = await KeyRows.ReadAsync(_dir);
        Assert.All(old.SigningKeys, k => Assert.True(KeysKit.ImportsAsPkcs8(k.PrivateKey)));
        Assert.True(KeysKit.IsPlain32Bytes(old.Settings["secret-pepper"]));
        Assert.True(KeysKit.IsPlain32Bytes(old.Settings["storage.url_signing_key"]));
        Assert.Contains(old.Settings.Keys, k => k.StartsWith("dataprotection:", StringComparison.Ordinal));
        Assert.All(old.DataProtectionXml, x => Assert.Contains("masterKey", x, StringComparison.Ordinal));

        await using (var node = await KilnProcess.StartAsync(_dir, port, Env))
        {
            Assert.Equal(200, await KeysKit.SecretsStatusAsync(node.BaseUrl, KeysKit.Demo(_dir), token)); // the signing key is the same
            await KeysKit.TokenAsync(node.BaseUrl, KeysKit.Demo(_dir)); // the pepper is the same: the demo secret still matches
            await ui.TokenAsync(ProjectsPage); // the Data Protection keys are the same: still signed in
            await node.StopAsync();
        }

        var now = await KeyRows.ReadAsync(_dir);
        Assert.Equal(old.SigningKeys.Select(k => k.Kid).Order(), now.SigningKeys.Select(k => k.Kid).Order());
        Assert.All(now.SigningKeys, k => Assert.False(KeysKit.ImportsAsPkcs8(k.PrivateKey), $"signing key {k.Kid} is still plaintext"));
        Assert.All(now.Settings, s => Assert.False(KeysKit.IsPlain32Bytes(s.Value), $"setting {s.Key} is still plaintext"));
        Assert.DoesNotContain(now.Settings.Keys, k => k.StartsWith("dataprotection:", StringComparison.Ordinal));
        Assert.Equal(old.DataProtectionXml.Count, now.DataProtectionXml.Count);
        Assert.All(now.DataProtectionXml, x => Assert.DoesNotContain("masterKey", x, StringComparison.Ordinal));
    }
}
