using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln configure</c>: writes a profile from demo-credential.json, a workspace download, or flags.</summary>
public static class ConfigureCommand
{
    public static Command Create()
    {
        var from = new Option<string?>("--from") { Description = "demo-credential.json (from `kiln serve --data DIR`) or a workspace download JSON" };
        var cmd = new Command("configure", "Write a profile (~/.config/kiln/<profile>.json, mode 0600)") { from };
        cmd.WithCommon(console: true);
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var profile = ctx.Profile ?? new CliProfile();
            if (parse.GetValue(from) is { } file)
            {
                if (!File.Exists(file)) throw new CliUsageException($"--from: {file} does not exist.");
                JsonElement json;
                try { json = JsonDocument.Parse(await File.ReadAllTextAsync(file, ct)).RootElement.Clone(); }
                catch (JsonException e) { throw new CliUsageException($"--from: {file} is not JSON: {e.Message}"); }
                profile = json.TryGetProperty("project", out _) ? FromWorkspace(json, profile) : FromDemo(json, profile);
            }
            profile = profile with
            {
                BaseUrl = parse.GetValue(CliOptions.BaseUrl) ?? profile.BaseUrl ?? CliContext.Env("KILN_BASE_URL"),
                ClientId = parse.GetValue(CliOptions.ClientId) ?? profile.ClientId,
                ClientSecret = parse.GetValue(CliOptions.ClientSecret) ?? profile.ClientSecret,
                OrgId = parse.GetValue(CliOptions.Org) ?? profile.OrgId,
                CredentialId = parse.GetValue(CliOptions.Credential) ?? profile.CredentialId,
            };
            if (profile.ClientId is null) throw new CliUsageException("Nothing to configure: pass --from FILE or --client-id.");
            var path = await CliProfile.SaveAsync(ctx.ProfileName, profile, ct);
            if (ctx.Json)
                ctx.WriteJson(new { profile = ctx.ProfileName, path, base_url = profile.BaseUrl, client_id = profile.ClientId, org_id = profile.OrgId, credential_id = profile.CredentialId, has_secret = profile.ClientSecret is not null });
            else
                ctx.Out.WriteLine($"Profile '{ctx.ProfileName}' written to {path} (client {profile.ClientId}{(profile.BaseUrl is null ? "" : ", " + profile.BaseUrl)}).");
            return CliContext.Ok;
        }, ct));
        return cmd;
    }

    private static string? S(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static CliProfile FromDemo(JsonElement j, CliProfile p)
    {
        if (S(j, "client_id") is null) throw new CliUsageException("--from: no client_id in the file (expected demo-credential.json or a workspace download).");
        return p with
        {
            BaseUrl = S(j, "base_url") ?? p.BaseUrl, ClientId = S(j, "client_id"), ClientSecret = S(j, "client_secret"),
            OrgId = S(j, "org_id"), ProjectId = S(j, "project_id"), WorkspaceId = S(j, "workspace_id"), CredentialId = S(j, "credential_id"),
            AccessToken = null, AccessTokenExpiresAt = null,
        };
    }

    /// <summary>docs/console.md#workspace-download: project.org.workspace.details.credentials[] with an oauth_server_to_server block.</summary>
    private static CliProfile FromWorkspace(JsonElement j, CliProfile p)
    {
        var project = j.GetProperty("project");
        if (!project.TryGetProperty("org", out var org) || !org.TryGetProperty("workspace", out var ws)
            || !ws.TryGetProperty("details", out var details) || !details.TryGetProperty("credentials", out var creds) || creds.ValueKind != JsonValueKind.Array)
            throw new CliUsageException("--from: the workspace download has no project.org.workspace.details.credentials.");
        foreach (var c in creds.EnumerateArray())
        {
            if (!c.TryGetProperty("oauth_server_to_server", out var s2s)) continue;
            var secrets = s2s.TryGetProperty("client_secrets", out var cs) && cs.ValueKind == JsonValueKind.Array
                ? cs.EnumerateArray().Select(x => x.GetString()).Where(x => !string.IsNullOrEmpty(x)).ToList() : [];
            var scopes = s2s.TryGetProperty("scopes", out var sc) && sc.ValueKind == JsonValueKind.Array
                ? string.Join(',', sc.EnumerateArray().Select(x => x.GetString())) : null;
            return p with
            {
                ClientId = S(s2s, "client_id"), ClientSecret = secrets.FirstOrDefault() ?? (S(s2s, "client_id") == p.ClientId ? p.ClientSecret : null),
                Scopes = string.IsNullOrEmpty(scopes) ? p.Scopes : scopes,
                OrgId = S(org, "id"), ProjectId = S(project, "id"), WorkspaceId = S(ws, "id"), CredentialId = S(c, "id"),
                AccessToken = null, AccessTokenExpiresAt = null,
            };
        }
        throw new CliUsageException("--from: the workspace has no OAuth server-to-server credential.");
    }
}
