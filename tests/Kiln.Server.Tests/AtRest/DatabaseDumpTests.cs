using System.Security.Cryptography;
using System.Text;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.AtRest;

/// <summary>
/// docs/security.md#keys-at-rest: a copy of the database alone (the SQLite file, or PostgreSQL's rows) yields no usable
/// private key, so nobody can sign tokens offline with it; with the key-encryption key Kiln opens them again.
/// </summary>
public sealed class DatabaseDumpTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kiln-dump-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        TestDatabase.Drop(_dir);
        TestDatabase.Drop(_dir + "-pg");
    }

    [Fact]
    public async Task A_dump_holds_no_usable_private_key_and_Kiln_opens_them_again_after_a_restart()
    {
        var port = KilnProcess.FreePort();
        string token;
        await using (var node = await KilnProcess.StartAsync(_dir, port))
        {
            token = await KeysKit.TokenAsync(node.BaseUrl, KeysKit.Demo(_dir));
            Assert.Equal(200, await KeysKit.SecretsStatusAsync(node.BaseUrl, KeysKit.Demo(_dir), token));
            await node.StopAsync();
        }

        var rows = await KeyRows.ReadAsync(_dir);
        Assert.NotEmpty(rows.SigningKeys);
        Assert.All(rows.SigningKeys, k => Assert.False(KeysKit.ImportsAsPkcs8(k.PrivateKey), $"signing key {k.Kid} imports as PKCS#8"));
        Assert.Contains("secret-pepper", rows.Settings.Keys);
        Assert.Contains("storage.url_signing_key", rows.Settings.Keys);
        Assert.All(rows.Settings, s => Assert.False(KeysKit.IsPlain32Bytes(s.Value), $"setting {s.Key} is a plaintext key"));
        Assert.NotEmpty(rows.DataProtectionXml);
        Assert.All(rows.DataProtectionXml, x => Assert.DoesNotContain("masterKey", x, StringComparison.Ordinal));
        var dump = TestDatabase.RawContents(_dir);
        Assert.DoesNotContain("unencrypted form", dump, StringComparison.Ordinal);

        await using var again = await KilnProcess.StartAsync(_dir, port);
        Assert.Equal(200, await KeysKit.SecretsStatusAsync(again.BaseUrl, KeysKit.Demo(_dir), token));
        Assert.Equal(200, await KeysKit.SecretsStatusAsync(again.BaseUrl, KeysKit.Demo(_dir), await KeysKit.TokenAsync(again.BaseUrl, KeysKit.Demo(_dir))));
    }

    [Fact]
    public async Task With_only_the_database_an_attacker_cannot_sign_a_token_the_gate_accepts()
    {
        await using var node = await KilnProcess.StartAsync(_dir);
        var demo = KeysKit.Demo(_dir);
        var real = await KeysKit.TokenAsync(node.BaseUrl, demo);
        var header = Jwt.Header(real);
        var kid = header.GetProperty("kid").GetString()!;

        // The attacker's move: take the signing key's row from the dump and sign a token of their own with it.
        var row = (await KeyRows.ReadAsync(_dir)).SigningKeys.Single(k => k.Kid == kid);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var imported = KeysKit.ImportsAsPkcs8(row.PrivateKey);
        if (imported) ec.ImportPkcs8PrivateKey(row.PrivateKey, out _);
        var parts = real.Split('.');
        var signingInput = parts[0] + "." + parts[1];
        var forged = signingInput + "." + Jwt.Encode(ec.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        Assert.Equal(401, await KeysKit.SecretsStatusAsync(node.BaseUrl, demo, forged)); // 200 when the dump held the key in clear
        Assert.False(imported, "the dump's signing key imports as PKCS#8");
        Assert.Equal(200, await KeysKit.SecretsStatusAsync(node.BaseUrl, demo, real));
    }

    [Fact]
    public async Task PostgreSQL_without_a_key_encryption_key_refuses_to_start_and_starts_with_one()
    {
        var database = TestDatabase.CreatePostgres(_dir + "-pg");
        var noKek = new Dictionary<string, string> { ["KILN_KEY_ENCRYPTION_KEY"] = "" };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => KilnProcess.StartAsync(_dir, env: noKek, database: database));
        Assert.Contains("needs a key-encryption key", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Message, StringComparison.Ordinal); // a message, not a stack trace

        var migrate = await KeysKit.KilnAsync(noKek, "admin", "migrate", "--data", _dir, "--database", database);
        Assert.NotEqual(0, migrate.Code);
        Assert.Contains("needs a key-encryption key", migrate.Output, StringComparison.Ordinal);

        await using var node = await KilnProcess.StartAsync(_dir, env: new Dictionary<string, string> { ["KILN_KEY_ENCRYPTION_KEY"] = TestDatabase.Kek }, database: database);
        Assert.Equal(200, await KeysKit.SecretsStatusAsync(node.BaseUrl, KeysKit.Demo(_dir), await KeysKit.TokenAsync(node.BaseUrl, KeysKit.Demo(_dir))));
        Assert.False(File.Exists(Path.Combine(_dir, "kiln.kek")), "on PostgreSQL Kiln must not make up a key file");
    }
}
