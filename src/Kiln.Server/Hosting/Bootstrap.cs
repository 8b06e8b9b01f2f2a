using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Hosting;

/// <summary>The file written on first start (docs/configuration.md#first-start), mode 0600.</summary>
public sealed record DemoCredential(
    [property: JsonPropertyName("org_id")] string OrgId,
    [property: JsonPropertyName("org_code")] string OrgCode,
    [property: JsonPropertyName("project_id")] string ProjectId,
    [property: JsonPropertyName("workspace_id")] string WorkspaceId,
    [property: JsonPropertyName("credential_id")] string CredentialId,
    [property: JsonPropertyName("client_id")] string ClientId,
    [property: JsonPropertyName("client_secret")] string ClientSecret,
    [property: JsonPropertyName("base_url")] string BaseUrl);

/// <summary>Creates the demo org, project (with its Production workspace) and credential on an empty database.</summary>
public static class Bootstrap
{
    public const string FileName = "demo-credential.json";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<DemoCredential?> RunAsync(KilnDb db, ClientSecrets secrets, TimeProvider clock, string baseUrl, CancellationToken ct)
    {
        if (await db.Orgs.AnyAsync(ct)) return null;
        var now = clock.GetUtcNow();
        var org = new Org { Id = Ids.NewOrgId(), Code = Ids.NewOrgCode(), Name = "Demo Org", Description = "Created on first start", CreatedAt = now };
        var project = NewEntities.NewProject(org.Id, "demo", "Demo project", "system", now);
        var workspace = NewEntities.NewWorkspace(org.Id, project.Id, "Production", "system", now);
        var cred = NewEntities.NewCredential(org.Id, project.Id, workspace.Id, "Demo credential", now);
        cred.Services.Add(new CredentialService { SdkCode = Services.Firefly, SubscribedAt = now });
        cred.Services.Add(new CredentialService { SdkCode = Services.IoManagement, SubscribedAt = now });
        var plaintext = secrets.AddFirst(db, cred, actor: null); // audited below, as the bootstrap
        db.AddRange(org, project, workspace, cred);
        db.AuditRecords.Add(Audit.Record(AuditScope.Of(cred), now, "system", "kiln", "bootstrap", $"credential:{cred.Id}", "demo org created", ""));
        await db.SaveChangesAsync(ct);
        return new DemoCredential(Str(org.Id), org.Code, Str(project.Id), Str(workspace.Id), Str(cred.Id), cred.ClientId, plaintext, baseUrl);
    }


    public static async Task WriteFileAsync(string dataDir, DemoCredential demo, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, FileName);
        await SecureFile.WriteAllTextAsync(path, JsonSerializer.Serialize(demo, Indented), ct);
    }

    public static async Task<DemoCredential?> ReadFileAsync(string dataDir, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<DemoCredential>(await File.ReadAllTextAsync(path, ct)); }
        catch (JsonException) { return null; }
    }

    /// <summary>The ready-to-paste commands printed on first start (to stdout, never to a log sink).</summary>
    public static string CurlCommands(DemoCredential d) => $$"""

        Kiln is ready at {{d.BaseUrl}}
        Demo credential written to {{FileName}} (org {{d.OrgId}}, project {{d.ProjectId}}, credential {{d.CredentialId}}).

          export FIREFLY_SERVICES_CLIENT_ID={{d.ClientId}}
          export FIREFLY_SERVICES_CLIENT_SECRET={{d.ClientSecret}}

        # 1. Get an access token (the seed's call, host changed)
        export FIREFLY_SERVICES_ACCESS_TOKEN=$(curl -s --location '{{d.BaseUrl}}/ims/token/v3' \
          --header 'Content-Type: application/x-www-form-urlencoded' \
          --data-urlencode 'grant_type=client_credentials' \
          --data-urlencode "client_id=$FIREFLY_SERVICES_CLIENT_ID" \
          --data-urlencode "client_secret=$FIREFLY_SERVICES_CLIENT_SECRET" \
          --data-urlencode 'scope=openid,AdobeID,session,additional_info,read_organizations,firefly_api,ff_apis' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

        # 2. Generate an image
        curl --location '{{d.BaseUrl}}/v3/images/generate' \
          --header 'Content-Type: application/json' --header 'Accept: application/json' \
          --header "x-api-key: $FIREFLY_SERVICES_CLIENT_ID" \
          --header "Authorization: Bearer $FIREFLY_SERVICES_ACCESS_TOKEN" \
          --data '{"prompt": "a realistic illustration of a cat coding"}'

        # 3. Rotate secrets with the I/O Management API scopes
        export ADMIN_TOKEN=$(curl -s -X POST '{{d.BaseUrl}}/ims/token/v3' \
          -H 'Content-Type: application/x-www-form-urlencoded' \
          -d "client_id=$FIREFLY_SERVICES_CLIENT_ID&client_secret=$FIREFLY_SERVICES_CLIENT_SECRET&grant_type=client_credentials&scope=AdobeID,openid,read_organizations,additional_info.projectedProductContext,additional_info.roles,adobeio_api,read_client_secret,manage_client_secrets" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
        curl -X GET '{{d.BaseUrl}}/console/organizations/{{d.OrgId}}/credentials/{{d.CredentialId}}/secrets' \
          -H "Authorization: Bearer $ADMIN_TOKEN" -H "x-api-key: $FIREFLY_SERVICES_CLIENT_ID"
        curl -X POST '{{d.BaseUrl}}/console/organizations/{{d.OrgId}}/credentials/{{d.CredentialId}}/secrets' \
          -H "Authorization: Bearer $ADMIN_TOKEN" -H "x-api-key: $FIREFLY_SERVICES_CLIENT_ID"
        curl -X DELETE '{{d.BaseUrl}}/console/organizations/{{d.OrgId}}/credentials/{{d.CredentialId}}/secrets/{uuid}' \
          -H "Authorization: Bearer $ADMIN_TOKEN" -H "x-api-key: $FIREFLY_SERVICES_CLIENT_ID"

        """;

    private static string Str(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
