using System.Globalization;
using System.Text.Json.Serialization;
using Kiln.Server.Core;
using Kiln.Server.Data;

namespace Kiln.Server.Console;

public sealed record SecretUsageDto(
    [property: JsonPropertyName("last_used_at")] string LastUsedAt,
    [property: JsonPropertyName("grant_type")] string GrantType);

/// <summary>One client secret as listed (docs/console.md#client-secrets): never the plaintext.</summary>
public sealed record SecretDto(
    [property: JsonPropertyName("uuid")] string Uuid,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("created_at_str")] string CreatedAtStr,
    [property: JsonPropertyName("expires_at")] string ExpiresAt,
    [property: JsonPropertyName("expires_at_str")] string ExpiresAtStr,
    [property: JsonPropertyName("secret_usages")] IReadOnlyList<SecretUsageDto>? SecretUsages);

public sealed record SecretListDto(
    [property: JsonPropertyName("client_id")] string ClientId,
    [property: JsonPropertyName("client_secrets")] IReadOnlyList<SecretDto> ClientSecrets);

/// <summary>The add response: the listed fields plus the plaintext, shown this once.</summary>
public sealed record NewSecretDto(
    [property: JsonPropertyName("client_secret")] string ClientSecret,
    [property: JsonPropertyName("uuid")] string Uuid,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("created_at_str")] string CreatedAtStr,
    [property: JsonPropertyName("expires_at")] string ExpiresAt,
    [property: JsonPropertyName("expires_at_str")] string ExpiresAtStr,
    [property: JsonPropertyName("secret_usages")] IReadOnlyList<SecretUsageDto>? SecretUsages);

public static class SecretMapping
{
    public const string Permanent = "PERMANENT";

    /// <summary>Adobe's human form: "Tue, Apr 25 2023 18:48:05.000 UTC".</summary>
    public static string HumanTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString("ddd, MMM dd yyyy HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Maps a stored secret, overlaying the in-memory usage that has not been flushed yet.</summary>
    public static SecretDto AsSecretDto(this ClientSecret s, (DateTimeOffset At, string GrantType)? pending)
    {
        var (usedAt, grant) = (s.LastUsedAt, s.LastGrantType);
        if (pending is { } p && (usedAt is null || p.At > usedAt)) (usedAt, grant) = (p.At, p.GrantType);
        IReadOnlyList<SecretUsageDto>? usages = usedAt is { } u ? [new SecretUsageDto(Ids.ToMs(u), grant ?? "client_credentials")] : null;
        return new SecretDto(s.Uuid, Ids.ToMs(s.CreatedAt), HumanTime(s.CreatedAt),
            s.ExpiresAt is { } e ? Ids.ToMs(e) : Permanent, s.ExpiresAt is { } e2 ? HumanTime(e2) : Permanent, usages);
    }

    public static NewSecretDto AsNewSecretDto(this ClientSecret s, string plaintext)
    {
        var d = s.AsSecretDto(null);
        return new NewSecretDto(plaintext, d.Uuid, d.CreatedAt, d.CreatedAtStr, d.ExpiresAt, d.ExpiresAtStr, null);
    }
}
