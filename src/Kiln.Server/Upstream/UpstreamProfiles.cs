using System.Text.RegularExpressions;
using Kiln.Client;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Firefly;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Upstream;

/// <summary>A profile as the API and the UI show it: never the secret.</summary>
public sealed record UpstreamProfileDto(
    string Name, string ImsBaseUrl, string FireflyBaseUrl, string ConsoleBaseUrl, string ClientId, string Scopes,
    string? UpstreamOrgId, string? UpstreamCredentialId, IReadOnlyList<string> PassThroughHosts, string Outputs,
    int? RotateEveryDays, DateTimeOffset? LastRotatedAt, string? LastRotationMessage, int SecretVersion, DateTimeOffset CreatedAt);

/// <summary>What an admin sends to add (or, with replace, change) a profile. Omitted URLs default to Adobe's hosts.</summary>
public sealed record UpstreamProfileRequest(
    string? Name, string? ClientId, string? ClientSecret, string? ImsBaseUrl = null, string? FireflyBaseUrl = null, string? ConsoleBaseUrl = null,
    string? Scopes = null, string? UpstreamOrgId = null, string? UpstreamCredentialId = null, IReadOnlyList<string>? PassThroughHosts = null,
    string? Outputs = null, int? RotateEveryDays = null);

/// <summary>One check of <c>kiln upstream test</c>.</summary>
public sealed record UpstreamCheck(string Check, bool Ok, string Message);

public sealed record UpstreamTestResult(string Name, bool Ok, IReadOnlyList<UpstreamCheck> Checks);

/// <summary>An org's engine and, when asked for a project, the project's override and the engine that applies.</summary>
public sealed record EngineSetting(string Engine, string? OrgEngine, string? ProjectEngine);

/// <summary>
/// The one owner of upstream profiles and engine settings (docs/upstream.md#profiles): add, list, test, remove, and
/// the org's or a project's engine. The REST API and the console UI both call it; the caller's right to act (org
/// admin) is checked before.
/// </summary>
public sealed partial class UpstreamProfiles(KilnDb db, UpstreamClients clients, TimeProvider clock)
{
    public const string DefaultScopes = KilnClientOptions.DefaultFireflyScopes;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();

    public static IReadOnlyList<string> Hosts(string csv) => csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static UpstreamProfileDto Dto(UpstreamProfile p) => new(p.Name, p.ImsBaseUrl, p.FireflyBaseUrl, p.ConsoleBaseUrl, p.ClientId, p.Scopes,
        p.UpstreamOrgId, p.UpstreamCredentialId, Hosts(p.PassThroughHosts), p.PassThroughOutputs ? "pass-through" : "copy",
        p.RotateEveryDays, p.LastRotatedAt, p.LastRotationMessage, p.SecretVersion, p.CreatedAt);

    public async Task<List<UpstreamProfileDto>> ListAsync(long orgId, CancellationToken ct) =>
        (await db.UpstreamProfiles.AsNoTracking().Where(p => p.OrgId == orgId).OrderBy(p => p.Name).ToListAsync(ct)).Select(Dto).ToList();

    public Task<UpstreamProfile?> FindAsync(long orgId, string name, CancellationToken ct) =>
        db.UpstreamProfiles.AsNoTracking().FirstOrDefaultAsync(p => p.OrgId == orgId && p.Name == name, ct);

    /// <summary>Adds a profile; with <paramref name="replace"/> an existing one of that name is changed (its secret too, when given).</summary>
    public async Task<OpResult<UpstreamProfileDto>> AddAsync(long orgId, UpstreamProfileRequest r, bool replace, Actor actor, CancellationToken ct)
    {
        var name = r.Name?.Trim() ?? "";
        if (!NamePattern().IsMatch(name)) return OpError.BadRequest("name must be 1-63 characters: lower-case letters, digits and '-', starting with a letter or digit");
        await using var tx = await db.LockOrgAsync(orgId, ct);
        var existing = await db.UpstreamProfiles.FirstOrDefaultAsync(p => p.OrgId == orgId && p.Name == name, ct);
        if (existing is not null && !replace) return OpError.Conflict("upstream_exists", $"An upstream profile named '{name}' exists; pass replace to change it");
        if (existing is null && string.IsNullOrEmpty(r.ClientSecret)) return OpError.BadRequest("clientSecret is required");
        if (Check(r, existing) is { } problem) return OpError.BadRequest(problem);
        var now = clock.GetUtcNow();
        var p = existing ?? new UpstreamProfile
        {
            Id = Guid.NewGuid().ToString("N"), OrgId = orgId, Name = name, ImsBaseUrl = "", FireflyBaseUrl = "", ConsoleBaseUrl = "", ClientId = "",
            SecretWrapped = "", Scopes = "", CreatedAt = now, LastRotatedAt = now,
        };
        p.ClientId = r.ClientId?.Trim() is { Length: > 0 } id ? id : p.ClientId;
        p.ImsBaseUrl = Url(r.ImsBaseUrl) ?? (existing?.ImsBaseUrl ?? KilnClientOptions.AdobeImsBaseUrl);
        p.FireflyBaseUrl = Url(r.FireflyBaseUrl) ?? (existing?.FireflyBaseUrl ?? KilnClientOptions.AdobeFireflyBaseUrl);
        p.ConsoleBaseUrl = Url(r.ConsoleBaseUrl) ?? (existing?.ConsoleBaseUrl ?? (r.FireflyBaseUrl is { Length: > 0 } ? p.FireflyBaseUrl : KilnClientOptions.AdobeConsoleBaseUrl));
        p.Scopes = r.Scopes?.Trim() is { Length: > 0 } s ? s : (existing?.Scopes ?? DefaultScopes);
        if (r.UpstreamOrgId is not null) p.UpstreamOrgId = r.UpstreamOrgId.Trim() is { Length: > 0 } o ? o : null;
        if (r.UpstreamCredentialId is not null) p.UpstreamCredentialId = r.UpstreamCredentialId.Trim() is { Length: > 0 } c ? c : null;
        if (r.PassThroughHosts is not null) p.PassThroughHosts = string.Join(',', r.PassThroughHosts.Select(h => h.Trim().ToLowerInvariant()).Where(h => h.Length > 0));
        if (r.Outputs is not null) p.PassThroughOutputs = r.Outputs == "pass-through";
        if (r.RotateEveryDays is not null) p.RotateEveryDays = r.RotateEveryDays == 0 ? null : r.RotateEveryDays;
        if (!string.IsNullOrEmpty(r.ClientSecret))
        {
            p.SecretWrapped = clients.Wrap(p.Id, r.ClientSecret);
            p.PreviousSecretWrapped = null;
            p.SecretVersion++;
        }
        p.UpdatedAt = now;
        if (existing is null) db.UpstreamProfiles.Add(p);
        actor.Audit(db, clock, AuditScope.Org(orgId), existing is null ? "upstream.add" : "upstream.replace", name, $"client {p.ClientId} at {p.FireflyBaseUrl}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return Dto(p);
    }

    private static string? Url(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim().TrimEnd('/');

    private static string? Check(UpstreamProfileRequest r, UpstreamProfile? existing)
    {
        foreach (var (field, value) in new[] { ("imsBaseUrl", r.ImsBaseUrl), ("fireflyBaseUrl", r.FireflyBaseUrl), ("consoleBaseUrl", r.ConsoleBaseUrl) })
            if (!string.IsNullOrWhiteSpace(value) && (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || u.Query.Length > 0))
                return $"{field} must be an absolute http(s) URL without a query";
        if (existing is null && string.IsNullOrWhiteSpace(r.ClientId)) return "clientId is required";
        if (r.ClientId is { Length: > 255 } || r.ClientSecret is { Length: > 1024 } || r.Scopes is { Length: > 1024 }) return "clientId, clientSecret or scopes is too long";
        if (r.Outputs is not (null or "copy" or "pass-through")) return "outputs must be 'copy' or 'pass-through'";
        if (r.RotateEveryDays is < 0 or > 365) return "rotateEveryDays must be between 1 and 365 (0 turns the schedule off)";
        if (r.PassThroughHosts?.Any(h => Uri.CheckHostName(h.Trim()) != UriHostNameType.Dns) == true) return "passThroughHosts must be DNS host names";
        return null;
    }

    public async Task<OpResult<string>> RemoveAsync(long orgId, string name, Actor actor, CancellationToken ct)
    {
        await using var tx = await db.LockOrgAsync(orgId, ct);
        var p = await db.UpstreamProfiles.FirstOrDefaultAsync(x => x.OrgId == orgId && x.Name == name, ct);
        if (p is null) return OpError.NotFound($"No upstream profile named '{name}'");
        var engine = EngineNames.UpstreamPrefix + name;
        if (await db.Orgs.AnyAsync(o => o.Id == orgId && o.Engine == engine, ct) || await db.Projects.AnyAsync(x => x.OrgId == orgId && x.Engine == engine, ct))
            return OpError.Conflict("upstream_in_use", $"The org or one of its projects runs on '{engine}'; set another engine first");
        db.UpstreamProfiles.Remove(p);
        actor.Audit(db, clock, AuditScope.Org(orgId), "upstream.remove", name);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        clients.Forget(p.Id);
        return name;
    }

    /// <summary>The engine of the org, or of a project (its override, and what applies).</summary>
    public async Task<OpResult<EngineSetting>> EngineAsync(long orgId, long? projectId, CancellationToken ct)
    {
        var org = await db.Orgs.AsNoTracking().Where(o => o.Id == orgId).Select(o => o.Engine).FirstOrDefaultAsync(ct);
        if (projectId is not { } pid) return new EngineSetting(org ?? EngineNames.Procedural, org, null);
        var project = await db.Projects.AsNoTracking().Where(x => x.Id == pid && x.OrgId == orgId).Select(x => new { x.Engine }).FirstOrDefaultAsync(ct);
        if (project is null) return OpError.NotFound("Project Not Found");
        return new EngineSetting(project.Engine ?? org ?? EngineNames.Procedural, org, project.Engine);
    }

    /// <summary>
    /// Sets the org's engine, or a project's override (null or "inherit": the org's). An upstream engine must name a
    /// profile of the org.
    /// </summary>
    public async Task<OpResult<EngineSetting>> SetEngineAsync(long orgId, long? projectId, string? engine, Actor actor, CancellationToken ct)
    {
        engine = engine?.Trim();
        if (engine is "" or "inherit") engine = null;
        if (engine is null && projectId is null) engine = EngineNames.Procedural;
        if (engine is not null && engine != EngineNames.Procedural)
        {
            if (EngineNames.UpstreamOf(engine) is not { Length: > 0 } name)
                return OpError.BadRequest($"engine must be '{EngineNames.Procedural}' or '{EngineNames.UpstreamPrefix}<profile name>'");
            if (!await db.UpstreamProfiles.AnyAsync(p => p.OrgId == orgId && p.Name == name, ct))
                return OpError.BadRequest($"No upstream profile named '{name}' in this org (add it with `kiln upstream add`)");
        }
        if (projectId is { } pid)
        {
            if (await db.Projects.Where(x => x.Id == pid && x.OrgId == orgId).ExecuteUpdateAsync(u => u.SetProperty(x => x.Engine, engine), ct) == 0)
                return OpError.NotFound("Project Not Found");
        }
        else
        {
            await db.Orgs.Where(o => o.Id == orgId).ExecuteUpdateAsync(u => u.SetProperty(o => o.Engine, engine == EngineNames.Procedural ? null : engine), ct);
        }
        var about = projectId is { } p ? AuditScope.Project(orgId, p) : AuditScope.Org(orgId);
        actor.Audit(db, clock, about, "engine.set", projectId is { } q ? $"project {q}" : "org", engine ?? "inherit");
        await db.SaveChangesAsync(ct);
        return await EngineAsync(orgId, projectId, ct);
    }

    /// <summary>
    /// Mints a token with the stored secret and the profile's scopes, then calls the upstream's Firefly API with it; with
    /// rotation configured, also checks the I/O Management scopes. Each check says exactly what failed.
    /// </summary>
    public async Task<UpstreamTestResult> TestAsync(UpstreamProfile p, CancellationToken ct)
    {
        var checks = new List<UpstreamCheck>();
        var options = clients.OptionsFor(p, clients.Secrets(p));
        using var tokens = clients.Provider(p, options);
        var token = await tokens.TryRequestTokenAsync(options.ClientSecrets[0], p.Scopes, ct);
        checks.Add(token.IsSuccess
            ? new UpstreamCheck("token", true, $"IMS at {p.ImsBaseUrl} minted a token for client {p.ClientId} with scopes {p.Scopes}")
            : new UpstreamCheck("token", false, TokenProblem(p, token)));
        if (token.IsSuccess)
        {
            using var http = clients.Plain(p.Name, UpstreamMeter.Firefly);
            using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(p.FireflyBaseUrl.TrimEnd('/') + "/"), "v3/status/urn:ff:jobs:kiln-test:" + Guid.Empty));
            req.Headers.Authorization = new("Bearer", token.AccessToken);
            req.Headers.Add("x-api-key", p.ClientId);
            try
            {
                using var res = await http.SendAsync(req, ct);
                var status = (int)res.StatusCode;
                checks.Add(status is 404 or 200
                    ? new UpstreamCheck("firefly", true, $"Firefly at {p.FireflyBaseUrl} accepted the token")
                    : new UpstreamCheck("firefly", false, $"Firefly at {p.FireflyBaseUrl} refused the token: HTTP {status} {Short(await res.Content.ReadAsStringAsync(ct))}"));
            }
            catch (HttpRequestException e)
            {
                checks.Add(new UpstreamCheck("firefly", false, $"Firefly at {p.FireflyBaseUrl} could not be reached: {e.HttpRequestError}: {e.Message}"));
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                checks.Add(new UpstreamCheck("firefly", false, $"Firefly at {p.FireflyBaseUrl} did not answer in time"));
            }
        }
        if (p.UpstreamOrgId is not null && p.UpstreamCredentialId is not null && token.IsSuccess)
        {
            var io = await tokens.TryRequestTokenAsync(options.ClientSecrets[0], KilnClientOptions.IoManagementScopes, ct);
            checks.Add(io.IsSuccess
                ? new UpstreamCheck("rotation", true, "The credential may manage its own secrets (I/O Management API scopes granted)")
                : new UpstreamCheck("rotation", false, UpstreamRotation.MissingScope(p.Name, io)));
        }
        return new UpstreamTestResult(p.Name, checks.All(c => c.Ok), checks);
    }

    private static string TokenProblem(UpstreamProfile p, TokenResult t) => t.StatusCode == 0
        ? $"IMS at {p.ImsBaseUrl} could not be reached: {t.ErrorDescription}"
        : t.Error == "invalid_client"
            ? $"IMS at {p.ImsBaseUrl} refused client {p.ClientId}: HTTP {t.StatusCode} invalid_client: {t.ErrorDescription}. The client secret is wrong, or was revoked or rotated outside Kiln; store the current one with `kiln upstream add {p.Name} --replace`."
            : $"IMS at {p.ImsBaseUrl} refused the token request: HTTP {t.StatusCode} {t.Error}: {t.ErrorDescription}";

    private static string Short(string body) => body.Length > 300 ? body[..300] + "…" : body;
}
