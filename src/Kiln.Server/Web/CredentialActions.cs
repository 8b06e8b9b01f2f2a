namespace Kiln.Server.Web;

/// <summary>
/// Text the credential page shows. Its actions go through the console's services: secrets through
/// <see cref="Console.SecretOps"/> (the rules are <see cref="Ims.ClientSecrets"/>'s), tokens through
/// <see cref="Console.CredentialOps.GenerateTokenAsync"/>.
/// </summary>
public static class CredentialActions
{
    /// <summary>The token request as a ready-to-paste curl command.</summary>
    public static string CurlCommand(string baseUrl, string clientId, IReadOnlyList<string> scopes, string? secret) =>
        $"""
        curl -X POST '{baseUrl}/ims/token/v3' \
          -H 'Content-Type: application/x-www-form-urlencoded' \
          -d "grant_type=client_credentials&client_id={clientId}&client_secret={secret ?? "$FIREFLY_SERVICES_CLIENT_SECRET"}&scope={string.Join(',', scopes)}"
        """;
}
