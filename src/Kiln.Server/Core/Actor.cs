using Kiln.Server.Data;

namespace Kiln.Server.Core;

/// <summary>
/// Who is making a change, for audit records and <c>who_created</c> fields. The REST API builds it from the
/// token (<see cref="Of"/>); the web UI builds it from the signed-in user (<see cref="ForUser"/>).
/// </summary>
public sealed record Actor(string Type, string Id, string SourceIp)
{
    public static Actor Of(ImsCaller caller, HttpContext ctx) => new(caller.ActorType, caller.Actor, Core.Audit.SourceOf(ctx));

    public static Actor ForUser(long userId, string sourceIp) => new("user", UserIds.Format(userId), sourceIp);

    public static readonly Actor System = new("system", "kiln", "");

    /// <summary>Adds an audit record to the context; the caller's SaveChanges writes it with the change itself.</summary>
    public void Audit(KilnDb db, TimeProvider clock, AuditScope about, string action, string target, string detail = "") =>
        db.AuditRecords.Add(Core.Audit.Record(about, clock.GetUtcNow(), Type, Id, action, target, detail, SourceIp));
}

/// <summary>A refusal from a Console building block; REST maps it to <c>{"error_code","message"}</c>, the UI shows the message.</summary>
public sealed record OpError(int Status, string Code, string Message)
{
    public static OpError BadRequest(string message) => new(400, "bad_request", message);
    public static OpError NotFound(string message) => new(404, "not_found", message);
    public static OpError Conflict(string code, string message) => new(409, code, message);
    public static OpError Forbidden(string message) => new(403, "access_error", message);

    public Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ApiError> ToResult() => ApiErrors.Error(Status, Code, Message);
}
