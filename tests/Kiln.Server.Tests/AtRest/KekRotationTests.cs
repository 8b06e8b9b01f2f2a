using System.Security.Cryptography;
using Kiln.Server.Core;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.AtRest;

/// <summary>
/// docs/security.md#rotating-the-key-encryption-key: <c>kiln admin rotate-kek</c> re-wraps every key under a new KEK;
/// the old KEK opens nothing afterwards, and tokens and console sessions from before the rotation stay valid.
/// </summary>
public sealed class KekRotationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kiln-kek-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _kekFile = Path.Combine(Path.GetTempPath(), "kiln-kek-file-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        File.Delete(_kekFile);
        TestDatabase.Drop(_dir);
    }

    /// <summary>The KEK in a file outside the data directory, on both providers (the environment variable is cleared).</summary>
    private Dictionary<string, string> Env => new() { ["KILN_KEY_ENCRYPTION_KEY"] = "", ["Kiln__KeyEncryptionKeyFile"] = _kekFile };

    /// <summary>A page only a signed-in user sees (a signed-out request is redirected to the login page).</summary>
    private string ProjectsPage => "/console/projects/" + KeysKit.Demo(_dir).GetProperty("org_id").GetString();

    private byte[] KeyInFile() => Convert.FromBase64String(File.ReadAllLines(_kekFile).Single(l => l.Length > 0 && !l.StartsWith('#')));

    [Fact]
    public async Task Rotate_kek_rewraps_every_key_the_old_kek_opens_nothing_and_tokens_and_sessions_survive()
    {
        var oldKek = RandomNumberGenerator.GetBytes(32);
        await KeyEncryption.WriteKeyFileAsync(_kekFile, [oldKek], default);
        var port = KilnProcess.FreePort();
        string token;
        UiSession ui;
        await using (var node = await KilnProcess.StartAsync(_dir, port, Env))
        {
            token = await KeysKit.TokenAsync(node.BaseUrl, KeysKit.Demo(_dir));
            ui = await UiSession.SignInAsync(new Uri(node.BaseUrl), "admin@kiln.local", KeysKit.AdminPassword(_dir));
            await ui.TokenAsync(ProjectsPage); // signed in
            await node.StopAsync();
        }
        using var _ = ui;
        Assert.False(File.Exists(Path.Combine(_dir, "kiln.kek")), "Kiln:KeyEncryptionKeyFile is the KEK; no second one in the data dir");

        var rotated = await KeysKit.KilnAsync(Env, ["admin", "rotate-kek", "--data", _dir, .. TestDatabase.CliArgs(_dir)]);
        Assert.True(rotated.Code == 0, rotated.Output);
        Assert.Contains("Re-wrapped", rotated.Output, StringComparison.Ordinal);
        var newKek = KeyInFile();
        Assert.NotEqual(oldKek, newKek);

        var rows = await KeyRows.ReadAsync(_dir);
        var oldOnly = KeyEncryption.FromKeys(oldKek);
        var newOnly = KeyEncryption.FromKeys(newKek);
        Assert.NotEmpty(rows.SigningKeys);
        foreach (var (kid, wrapped) in rows.SigningKeys)
        {
            Assert.True(KeysKit.ImportsAsPkcs8(newOnly.Unwrap(wrapped, KeysAtRest.SigningKeyPurpose(kid))));
            Assert.Throws<KeyEncryptionException>(() => oldOnly.Unwrap(wrapped, KeysAtRest.SigningKeyPurpose(kid)));
        }
        foreach (var key in new[] { "secret-pepper", "storage.url_signing_key" })
        {
            Assert.Equal(32, newOnly.UnwrapText(rows.Settings[key], KeysAtRest.SettingPurpose(key)).Length);
            Assert.Throws<KeyEncryptionException>(() => oldOnly.UnwrapText(rows.Settings[key], KeysAtRest.SettingPurpose(key)));
        }
        Assert.NotEmpty(rows.DataProtectionXml);
        Assert.All(rows.DataProtectionXml, x => Assert.Contains(newOnly.CurrentKeyId, KeyIdsIn(x)));

        // Kiln on the new KEK: the token from before still passes the gate, the console session is still signed in.
        await using (var node = await KilnProcess.StartAsync(_dir, port, Env))
        {
            Assert.Equal(200, await KeysKit.SecretsStatusAsync(node.BaseUrl, KeysKit.Demo(_dir), token));
            await ui.TokenAsync(ProjectsPage);
            await node.StopAsync();
        }

        // The old KEK alone no longer opens anything: Kiln refuses to start with it.
        await KeyEncryption.WriteKeyFileAsync(_kekFile, [oldKek], default);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => KilnProcess.StartAsync(_dir, port, Env));
        Assert.Contains("key-encryption key", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>The KEK ids of the wrapped values inside a Data Protection key's XML.</summary>
    private static List<string> KeyIdsIn(string xml) =>
        System.Xml.Linq.XElement.Parse(xml).Descendants(KeysAtRest.DataProtectionElement)
            .Select(e => KeyEncryption.KeyIdOf(Convert.FromBase64String(e.Value[KeyEncryption.TextPrefix.Length..]))!).ToList();
}
