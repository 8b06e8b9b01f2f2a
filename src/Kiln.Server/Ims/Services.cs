namespace Kiln.Server.Ims;

/// <summary>An API a credential can subscribe to, and the scopes it grants (docs/identity.md#scopes, docs/console.md#services-and-scopes).</summary>
public sealed record ApiService(string Code, string Name, string Description, IReadOnlyList<string> Scopes);

public static class Services
{
    public const string IoManagement = "AdobeIOManagementAPISDK";
    public const string Firefly = "FireflyAPI";

    public static readonly ApiService IoManagementApi = new(IoManagement, "I/O Management API",
        "Manage projects, credentials and client secrets programmatically.",
        ["AdobeID", "openid", "read_organizations", "additional_info.projectedProductContext",
         "additional_info.roles", "adobeio_api", "read_client_secret", "manage_client_secrets"]);

    public static readonly ApiService FireflyApi = new(Firefly, "Firefly API",
        "Generate, expand, fill and composite images.",
        ["openid", "AdobeID", "session", "additional_info", "read_organizations",
         "firefly_api", "ff_apis", "firefly_enterprise"]);

    public static readonly IReadOnlyList<ApiService> All = [FireflyApi, IoManagementApi];

    public static ApiService? Find(string? code) =>
        All.FirstOrDefault(s => string.Equals(s.Code, code, StringComparison.OrdinalIgnoreCase));

    /// <summary>The union of scopes the given subscriptions grant, in a stable order.</summary>
    public static IReadOnlyList<string> GrantedScopes(IEnumerable<string> sdkCodes)
    {
        var codes = sdkCodes.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return All.Where(s => codes.Contains(s.Code)).SelectMany(s => s.Scopes).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Lenient scope parsing (docs/identity.md#scopes): comma or space separated, trimmed, empty items dropped.</summary>
    public static IReadOnlyList<string> ParseScopes(string? raw) =>
        string.IsNullOrWhiteSpace(raw)
            ? []
            : raw.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                 .Distinct(StringComparer.Ordinal).ToList();
}
