using System.Data.Common;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kiln.Server.Tests.AtRest;

/// <summary>What an attacker with a database dump reads: the rows as stored, straight from SQLite or PostgreSQL.</summary>
public sealed record KeyRows(List<(string Kid, byte[] PrivateKey)> SigningKeys, Dictionary<string, string> Settings, List<string> DataProtectionXml)
{
    public static async Task<KeyRows> ReadAsync(string dataDir, string? database = null)
    {
        database ??= TestDatabase.ConnectionFor(dataDir);
        await using DbConnection conn = database is null
            ? new SqliteConnection($"Data Source={Path.Combine(dataDir, "kiln.db")};Mode=ReadOnly;Pooling=False")
            : new NpgsqlConnection(database);
        await conn.OpenAsync();
        var keys = new List<(string, byte[])>();
        await foreach (var r in QueryAsync(conn, "SELECT \"Kid\", \"PrivateKey\" FROM \"SigningKeys\"")) keys.Add((r.GetString(0), (byte[])r.GetValue(1)));
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var r in QueryAsync(conn, "SELECT \"Key\", \"Value\" FROM \"ServerSettings\"")) settings[r.GetString(0)] = r.GetString(1);
        var dp = settings.Where(s => s.Key.StartsWith("dataprotection:", StringComparison.Ordinal)).Select(s => s.Value).ToList();
        if (await TableExistsAsync(conn, "DataProtectionKeys"))
            await foreach (var r in QueryAsync(conn, "SELECT \"Xml\" FROM \"DataProtectionKeys\"")) dp.Add(r.GetString(0));
        return new KeyRows(keys, settings, dp);
    }

    private static async Task<bool> TableExistsAsync(DbConnection conn, string table)
    {
        var sql = conn is SqliteConnection
            ? $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
            : $"SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}'";
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static async IAsyncEnumerable<DbDataReader> QueryAsync(DbConnection conn, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) yield return reader;
    }
}

public static class KeysKit
{
    public const string IoScopes = KilnFactory.IoScopes;

    public static JsonElement Demo(string dataDir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dataDir, "demo-credential.json"))).RootElement;

    public static string AdminPassword(string dataDir) => File.ReadAllText(Path.Combine(dataDir, "admin-password")).Trim();

    public static async Task<string> TokenAsync(string baseUrl, JsonElement demo, string scope = IoScopes)
    {
        using var http = new HttpClient();
        using var res = await http.PostAsync(baseUrl + "/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = demo.GetProperty("client_id").GetString()!,
            ["client_secret"] = demo.GetProperty("client_secret").GetString()!, ["scope"] = scope,
        }));
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.IsSuccessStatusCode, $"token request: {(int)res.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>GET the demo credential's secrets with a bearer token: the gate and the Console API accept it or not.</summary>
    public static async Task<int> SecretsStatusAsync(string baseUrl, JsonElement demo, string token)
    {
        using var http = new HttpClient();
        using var req = new HttpRequestMessage(HttpMethod.Get,
            $"{baseUrl}/console/organizations/{demo.GetProperty("org_id").GetString()}/credentials/{demo.GetProperty("credential_id").GetString()}/secrets");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Add("x-api-key", demo.GetProperty("client_id").GetString());
        using var res = await http.SendAsync(req);
        return (int)res.StatusCode;
    }

    /// <summary>Runs the real <c>kiln</c> CLI.</summary>
    public static async Task<(int Code, string Output)> KilnAsync(IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(KilnProcess.KilnDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>True when the bytes import as a PKCS#8 EC private key (what the old code stored).</summary>
    public static bool ImportsAsPkcs8(byte[] bytes)
    {
        using var ec = System.Security.Cryptography.ECDsa.Create();
        try { ec.ImportPkcs8PrivateKey(bytes, out _); return true; }
        catch (System.Security.Cryptography.CryptographicException) { return false; }
    }

    /// <summary>True when the text is the base64 of 32 bytes (how the old code stored the pepper and the URL key).</summary>
    public static bool IsPlain32Bytes(string value)
    {
        var buffer = new byte[64];
        return Convert.TryFromBase64String(value, buffer, out var n) && n == 32;
    }

    public static UnixFileMode ModeOf(string path) => File.GetUnixFileMode(path);
}
