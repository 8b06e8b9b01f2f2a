using System.Text;
using System.Text.Json;
using Kiln.Server.Tests.Console;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Tests.Security;

/// <summary>
/// The authorization matrix, generated from the app's own endpoint table: every Console and Firefly route × every kind
/// of caller, on the caller's own org and on another org's real resources (which must answer exactly like ids that do not exist).
/// </summary>
public sealed class AuthorizationMatrixTests(AuthzWorld world) : IClassFixture<AuthzWorld>
{
    private enum Expect { Allowed, NoToken, MissingScope, NotAdmin }

    /// <summary>The rule this suite holds the app to.</summary>
    private static Expect Expected(Access access, Caller caller) => caller.Token is null ? Expect.NoToken : (access, caller.Name) switch
    {
        (Access.Firefly, "credential-firefly-scopes") => Expect.Allowed,
        (Access.Firefly, _) => Expect.MissingScope,               // user tokens and I/O Management tokens carry no firefly_api
        (_, "credential-firefly-scopes") => Expect.MissingScope,  // no adobeio_api / secret scopes
        (Access.ConsoleAdmin, "admin-user") => Expect.Allowed,
        (Access.ConsoleAdmin, _) => Expect.NotAdmin,              // developers, and credentials (which act as developers)
        _ => Expect.Allowed,
    };

    public static TheoryData<Access> Groups => [Access.Console, Access.ConsoleAdmin, Access.Secrets, Access.Firefly];

    /// <summary>Web console pages anyone may fetch without a session.</summary>
    private static readonly string[] PublicPages = ["GET /console/login", "GET /console/assets/{name}"];

    /// <summary>
    /// The web console takes no bearer tokens: with only a token (no session cookie) every page and form answers the
    /// sign-in form (or a redirect/refusal), never content; only the login page and assets are public.
    /// </summary>
    [Fact]
    public async Task Web_console_routes_ignore_bearer_tokens()
    {
        var failures = new StringBuilder();
        foreach (var route in RouteCatalog.All.Where(r => r.Access == Access.WebUi && !PublicPages.Contains(r.Key)))
            foreach (var caller in world.Callers)
            {
                var answer = await world.SendAsync(caller, route, RouteCatalog.Fill(route.Pattern, world.Own.Values));
                var signIn = answer.Body.Contains("<title>Sign in · Kiln</title>", StringComparison.Ordinal);
                if (answer.Status >= 500 || (answer.Status is >= 200 and < 300 && !signIn)) failures.AppendLine($"{route.Key} as {caller}: got {answer}");
            }
        Assert.True(failures.Length == 0, "Web console routes answered a bearer-only caller:\n" + failures);
    }

    private static readonly string[] IdParameters = ["orgId", "projectId", "workspaceId", "credentialId", "intId", "clientId", "uuid", "userId", "jobId"];

    [Fact]
    public void Every_console_and_firefly_route_is_classified()
    {
        var (unclassified, stale) = RouteCatalog.Compare(world.Kiln.Services);
        Assert.True(unclassified.Count == 0, "Routes nobody classified (add them to RouteCatalog with the callers they admit):\n" + string.Join('\n', unclassified));
        Assert.True(stale.Count == 0, "Classified routes the app no longer has:\n" + string.Join('\n', stale));
        foreach (var group in Groups) Assert.Contains(RouteCatalog.All, r => r.Access == group);
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task Own_org_routes_admit_exactly_the_callers_of_their_group(Access group)
    {
        var failures = new StringBuilder();
        var rows = 0;
        foreach (var route in RouteCatalog.All.Where(r => r.Access == group))
            foreach (var caller in world.Callers)
            {
                // Anything that changes state gets resources of its own, so rows cannot break each other.
                var own = route.Method == "GET" ? world.Own : await world.ThrowawayAsync(world.Own.OrgId);
                var answer = await world.SendAsync(caller, route, RouteCatalog.Fill(route.Pattern, own.Values));
                rows++;
                if (Problem(Expected(group, caller), answer) is { } problem) failures.AppendLine($"{route.Key} as {caller}: {problem}; got {answer}");
            }
        Assert.True(rows > 0);
        Assert.True(failures.Length == 0, $"{group} matrix ({rows} rows):\n{failures}");
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task Another_orgs_resources_answer_exactly_like_ids_that_do_not_exist(Access group)
    {
        var failures = new StringBuilder();
        var rows = 0;
        foreach (var route in RouteCatalog.All.Where(r => r.Access == group))
        {
            var ids = route.Parameters.Where(p => IdParameters.Contains(p)).ToList();
            // k leading ids are the caller's own (a real parent), the rest another org's: their org outright, or their
            // project under our org, ..., or only their leaf (secret, member, credential) under our parents.
            for (var k = 0; k < ids.Count; k++)
                foreach (var caller in world.Callers.Where(c => c.Token is not null))
                {
                    var own = route.Method == "GET" ? world.Own : await world.ThrowawayAsync(world.Own.OrgId);
                    var missing = OrgResources.Missing();
                    var theirs = Mix(own, world.Other, ids, k);
                    var nothing = Mix(own, missing, ids, k);
                    var a = await world.SendAsync(caller, route, RouteCatalog.Fill(route.Pattern, theirs));
                    var b = await world.SendAsync(caller, route, RouteCatalog.Fill(route.Pattern, nothing));
                    rows++;
                    var what = $"{route.Key} as {caller} with [{string.Join(',', ids.Select((p, i) => i < k ? "own " + p : "their " + p))}]";
                    if (Expected(group, caller) == Expect.Allowed && a.Status != 404) failures.AppendLine($"{what}: expected 404, got {a}");
                    else if (Mask(a.Body, world.Other, missing) != b.Body || a.Status != b.Status)
                        failures.AppendLine($"{what}: differs from a missing id\n  theirs:  {a}\n  missing: {b}");
                }
        }
        // Ids in bodies: another org's upload as an image input answers like an upload id that does not exist.
        foreach (var route in RouteCatalog.All.Where(r => r.Access == group && r.Reference is not null))
            foreach (var caller in world.Callers.Where(c => c.Token is not null))
            {
                var missing = OrgResources.Missing();
                var a = await world.SendAsync(caller, route, route.Pattern, route.Reference!.Replace("{uploadId}", world.Other.UploadId, StringComparison.Ordinal));
                var b = await world.SendAsync(caller, route, route.Pattern, route.Reference!.Replace("{uploadId}", missing.UploadId, StringComparison.Ordinal));
                rows++;
                if (Expected(group, caller) == Expect.Allowed && a.Status is >= 200 and < 300) failures.AppendLine($"{route.Key} as {caller} with their upload: accepted {a}");
                else if (Mask(a.Body, world.Other, missing) != b.Body || a.Status != b.Status)
                    failures.AppendLine($"{route.Key} as {caller} with their upload: differs from a missing upload\n  theirs:  {a}\n  missing: {b}");
            }
        await AssertOtherOrgIntactAsync();
        Assert.True(failures.Length == 0, $"{group} cross-org matrix ({rows} pairs):\n{failures}");
    }

    private static Dictionary<string, string> Mix(OrgResources own, OrgResources foreign, List<string> ids, int ownCount)
    {
        var values = own.Values;
        var other = foreign.Values;
        for (var i = ownCount; i < ids.Count; i++) values[ids[i]] = other[ids[i]];
        return values;
    }

    /// <summary>An answer may echo the id it was asked about; put the missing id in its place before comparing.</summary>
    private static string Mask(string body, OrgResources theirs, OrgResources missing)
    {
        var t = theirs.Values;
        var m = missing.Values;
        foreach (var key in t.Keys.Where(k => k != "credentialType" && t[k].Length > 0)) body = body.Replace(t[key], m[key], StringComparison.Ordinal);
        return body;
    }

    private static string? Problem(Expect expect, Answer a)
    {
        if (a.Status >= 500) return "server error";
        switch (expect)
        {
            case Expect.Allowed:
                return a.Status is 401 or 403 or 404 ? "refused an allowed caller" : null;
            case Expect.NoToken:
                return a.Status != 401 ? "expected 401" : GatewayShape(a, "401013");
            case Expect.MissingScope:
                if (a.Status != 403) return "expected 403 (missing scope)";
                if (a.AccessError != "invalid_ims_scope") return "expected x-access-error: invalid_ims_scope";
                return GatewayShape(a, "access_error");
            default:
                return a.Status != 403 ? "expected 403 (admins only)" : GatewayShape(a, "access_error");
        }
    }

    /// <summary>The contract's refusal shape: JSON <c>{"error_code","message"}</c>.</summary>
    private static string? GatewayShape(Answer a, string code)
    {
        if (a.MediaType != "application/json") return "refusal is not JSON";
        try
        {
            var json = JsonDocument.Parse(a.Body).RootElement;
            if (!json.TryGetProperty("error_code", out var c) || c.GetString() != code) return $"expected error_code {code}";
            return json.TryGetProperty("message", out var m) && m.GetString() is { Length: > 0 } ? null : "refusal has no message";
        }
        catch (JsonException)
        {
            return "refusal is not JSON";
        }
    }

    /// <summary>Nothing the matrix sent touched the other org.</summary>
    private Task<bool> AssertOtherOrgIntactAsync() => world.Kiln.WithDbAsync<bool>(async (db, _) =>
    {
        var o = world.Other;
        Assert.True(await db.Projects.AnyAsync(p => p.Id == o.ProjectId && p.OrgId == o.OrgId), "their project is gone");
        Assert.True(await db.Workspaces.AnyAsync(w => w.Id == o.WorkspaceId), "their workspace is gone");
        var cred = await db.Credentials.Include(c => c.Services).Include(c => c.Secrets).SingleAsync(c => c.Id == o.CredentialId);
        Assert.Equal([o.SecretUuid], cred.Secrets.Select(s => s.Uuid));
        Assert.Equal(2, cred.Services.Count);
        Assert.True(await db.OrgMemberships.AnyAsync(m => m.OrgId == o.OrgId && m.UserId == o.MemberUserId), "their member is gone");
        Assert.Equal("failed", (await db.Jobs.SingleAsync(j => j.Id == o.JobId)).Status);
        Assert.Equal(1, await db.Orgs.CountAsync(x => x.Id == o.OrgId));
        return true;
    });
}
