namespace Kiln.Server.Web;

/// <summary>
/// Text the credential page shows. Its actions go through the console's services: secrets through
/// <see cref="Console.SecretOps"/> (the rules are <see cref="Ims.ClientSecrets"/>'s), tokens through
/// <see cref="Console.CredentialOps.GenerateTokenAsync"/>.
/// </summary>
public static class CredentialActions
{
    /// <summary>
    /// The token request as a ready-to-paste curl command. It never holds a secret (pasted, it would sit in the shell's
    /// history and in <c>ps</c>): it reads <c>$FIREFLY_SERVICES_CLIENT_SECRET</c>, and a new secret is shown once, apart.
    /// </summary>
    public static string CurlCommand(string baseUrl, string clientId, IReadOnlyList<string> scopes) =>
        $"""
        curl -X POST '{baseUrl}/ims/token/v3' \
          -H 'Content-Type: application/x-www-form-urlencoded' \
          --data-urlencode 'grant_type=client_credentials' --data-urlencode 'client_id={clientId}' \
          --data-urlencode "client_secret=$FIREFLY_SERVICES_CLIENT_SECRET" --data-urlencode 'scope={string.Join(',', scopes)}'
        """;
}
