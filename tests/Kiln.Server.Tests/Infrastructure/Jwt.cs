using System.Text;
using System.Text.Json;

namespace Kiln.Server.Tests.Infrastructure;

public static class Jwt
{
    public static JsonElement Header(string token) => Part(token, 0);
    public static JsonElement Payload(string token) => Part(token, 1);

    private static JsonElement Part(string token, int i) =>
        JsonDocument.Parse(Encoding.UTF8.GetString(Base64Url(token.Split('.')[i]))).RootElement.Clone();

    public static byte[] Base64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }

    public static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Encode(string json) => Encode(Encoding.UTF8.GetBytes(json));
}
