using Kiln.Server.Data;

namespace Kiln.Server.Core;

/// <summary>Builds audit records: who (user or credential), what, when and from where.</summary>
public static class Audit
{
    public static AuditRecord Record(long? orgId, DateTimeOffset at, string actorType, string actor, string action,
        string target, string detail, string sourceIp, int count = 1) => new()
        {
            OrgId = orgId, At = at, ActorType = actorType, Actor = actor, Action = action,
            Target = target, Detail = detail, SourceIp = sourceIp, Count = count,
        };

    /// <summary>Adds a record for the current caller; the handler's SaveChanges writes it with the change itself.</summary>
    public static void Write(KilnDb db, HttpContext ctx, TimeProvider clock, ImsCaller caller, long orgId, string action, string target, string detail = "") =>
        db.AuditRecords.Add(Record(orgId, clock.GetUtcNow(), caller.ActorType, caller.Actor, action, target, detail, SourceOf(ctx)));

    public static string SourceOf(HttpContext ctx) => ctx.Connection.RemoteIpAddress?.ToString() ?? "";
}
