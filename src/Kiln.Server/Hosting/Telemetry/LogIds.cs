using System.Diagnostics;
using System.Globalization;
using Kiln.Server.Core;

namespace Kiln.Server.Hosting.Telemetry;

/// <summary>
/// The ids a log line carries in both console formats (docs/operations.md#structured-logs): the request id (the
/// <c>x-request-id</c> answered), the trace and span id of <see cref="Activity.Current"/> (the request's, or the job
/// run's), and the org, client and job ids from the job's log scope or the caller behind the gate. Ids only: never a
/// secret, a token or a message value.
/// </summary>
public readonly record struct LogIds(string? RequestId, string? TraceId, string? SpanId, string? OrgId, string? ClientId, string? JobId)
{
    public static LogIds Current(IExternalScopeProvider? scopes, IHttpContextAccessor http)
    {
        string? orgId = null, clientId = null, jobId = null;
        scopes?.ForEachScope((scope, _) =>
        {
            if (scope is not IEnumerable<KeyValuePair<string, object?>> values) return;
            foreach (var (k, v) in values)
            {
                if (k == "OrgId") orgId = Convert.ToString(v, CultureInfo.InvariantCulture);
                else if (k == "ClientId") clientId = v as string;
                else if (k == "JobId") jobId = v as string;
            }
        }, (object?)null);
        var ctx = http.HttpContext;
        if (ctx?.Items[ImsCaller.ItemKey] is ImsCaller caller)
        {
            orgId ??= caller.OrgId.ToString(CultureInfo.InvariantCulture);
            clientId ??= caller.ClientId;
        }
        var a = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current : null;
        return new LogIds(ctx?.TraceIdentifier, a?.TraceId.ToHexString(), a?.SpanId.ToHexString(), orgId, clientId, jobId);
    }
}
