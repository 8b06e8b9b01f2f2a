using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Server.Ims;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Security;

/// <summary>Builds hostile tokens: unsigned, re-signed, tampered, or signed by the server's own key with chosen claims.</summary>
public static class TokenForge
{
    public static string Encode(JsonObject header, JsonObject payload, byte[] signature) =>
        $"{Infrastructure.Jwt.Encode(header.ToJsonString())}.{Infrastructure.Jwt.Encode(payload.ToJsonString())}.{Infrastructure.Jwt.Encode(signature)}";

    public static JsonObject HeaderOf(string token) => JsonNode.Parse(Infrastructure.Jwt.Header(token).GetRawText())!.AsObject();

    public static JsonObject PayloadOf(string token) => JsonNode.Parse(Infrastructure.Jwt.Payload(token).GetRawText())!.AsObject();

    public static string Unsigned(string token)
    {
        var p = PayloadOf(token);
        return $"{Infrastructure.Jwt.Encode("""{"alg":"none","typ":"JWT"}""")}.{Infrastructure.Jwt.Encode(p.ToJsonString())}.";
    }

    /// <summary>HS256 keyed with the server's public key (the classic key-confusion attack), for several encodings of that key.</summary>
    public static IEnumerable<string> KeyConfusion(string token, string jwksJson)
    {
        var jwk = JsonDocument.Parse(jwksJson).RootElement.GetProperty("keys")[0];
        var kid = jwk.GetProperty("kid").GetString()!;
        using var ec = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Infrastructure.Jwt.Base64Url(jwk.GetProperty("x").GetString()!), Y = Infrastructure.Jwt.Base64Url(jwk.GetProperty("y").GetString()!) },
        });
        var keys = new[] { Encoding.UTF8.GetBytes(jwk.GetRawText()), ec.ExportSubjectPublicKeyInfo(), Encoding.UTF8.GetBytes(ec.ExportSubjectPublicKeyInfoPem()) };
        foreach (var key in keys)
        {
            var header = new JsonObject { ["alg"] = "HS256", ["kid"] = kid, ["typ"] = "JWT" };
            var input = $"{Infrastructure.Jwt.Encode(header.ToJsonString())}.{Infrastructure.Jwt.Encode(PayloadOf(token).ToJsonString())}";
            yield return input + "." + Infrastructure.Jwt.Encode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(input)));
        }
    }

    /// <summary>Signed with a key the server never issued, optionally advertising where to fetch it.</summary>
    public static string ForeignKey(string token, string kid, string? jku = null, string? x5u = null)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = kid, ["typ"] = "JWT" };
        if (jku is not null) header["jku"] = jku;
        if (x5u is not null) header["x5u"] = x5u;
        var input = $"{Infrastructure.Jwt.Encode(header.ToJsonString())}.{Infrastructure.Jwt.Encode(PayloadOf(token).ToJsonString())}";
        return input + "." + Infrastructure.Jwt.Encode(ec.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    /// <summary>Keeps header and signature, swaps the payload.</summary>
    public static string Tampered(string token, Action<JsonObject> change)
    {
        var parts = token.Split('.');
        var p = PayloadOf(token);
        change(p);
        return $"{parts[0]}.{Infrastructure.Jwt.Encode(p.ToJsonString())}.{parts[2]}";
    }

    /// <summary>Signs any payload with a server's real current key (to test claim checks beyond the signature).</summary>
    public static string SignWith(IServiceProvider server, JsonObject payload)
    {
        var creds = server.GetRequiredService<KeyRing>().Signing;
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(payload.ToJsonString(), creds);
    }
}
