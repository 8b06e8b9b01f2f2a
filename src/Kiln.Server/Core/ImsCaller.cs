using System.Reflection;

namespace Kiln.Server.Core;

/// <summary>The authenticated caller of a gated endpoint: a credential (S2S) or a user (device-flow token).</summary>
public sealed record ImsCaller(
    string Jti,
    string ClientId,
    long? CredentialId,
    string? SecretId,
    long OrgId,
    string OrgCode,
    string UserId,
    IReadOnlySet<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt)
{
    public bool IsCredential => CredentialId is not null;

    public bool HasScope(string scope) => Scopes.Contains(scope);

    /// <summary>Audit actor string: the client id for credentials, the user id for people.</summary>
    public string Actor => IsCredential ? ClientId : UserId;

    public string ActorType => IsCredential ? "credential" : "user";

    internal const string ItemKey = "kiln.ims.caller";

    /// <summary>Lets minimal-API handlers take <c>ImsCaller caller</c> as a parameter behind the gate.</summary>
    public static ValueTask<ImsCaller?> BindAsync(HttpContext ctx, ParameterInfo parameter) =>
        ValueTask.FromResult<ImsCaller?>(ctx.Items[ItemKey] as ImsCaller
            ?? throw new InvalidOperationException("ImsCaller requested on an endpoint without RequireIms()."));
}
