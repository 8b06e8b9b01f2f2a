using Kiln.Server.Data;

namespace Kiln.Server.Core;

/// <summary>
/// What an audit record is about: its org (null: none, such as a failed sign-in of an unknown address) and the project
/// when the subject is a project or belongs to one (its workspaces and quota, its credentials with their secrets, tokens,
/// APIs and quotas). A project's audit view filters by it (docs/console-ui.md#audit-log), so a record stays there after
/// its credential is deleted. Every writer names one, so none can leave the project out by forgetting it.
/// </summary>
public readonly record struct AuditScope(long? OrgId, long? ProjectId)
{
    /// <summary>A record about the org itself (members, sign-ins, upstream profiles), or about no org.</summary>
    public static AuditScope Org(long? orgId) => new(orgId, null);

    /// <summary>A record about a project or something in it.</summary>
    public static AuditScope Project(long orgId, long projectId) => new(orgId, projectId);

    /// <summary>A record about a credential (or its secrets, tokens, APIs, quota): its org and project.</summary>
    public static AuditScope Of(Credential cred) => new(cred.OrgId, cred.ProjectId);
}

/// <summary>Builds audit records: who (user or credential), what, about which org and project, when and from where.</summary>
public static class Audit
{
    public static AuditRecord Record(AuditScope about, DateTimeOffset at, string actorType, string actor, string action,
        string target, string detail, string sourceIp, int count = 1) => new()
        {
            OrgId = about.OrgId, ProjectId = about.ProjectId, At = at, ActorType = actorType, Actor = actor, Action = action,
            Target = target, Detail = detail, SourceIp = sourceIp, Count = count,
        };

    public static string SourceOf(HttpContext ctx) => ctx.Connection.RemoteIpAddress?.ToString() ?? "";
}
