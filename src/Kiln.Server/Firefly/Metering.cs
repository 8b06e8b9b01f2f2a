using Kiln.Server.Core;
using Kiln.Server.Generation;
using Kiln.Server.Ims;
using Kiln.Server.Quotas;

namespace Kiln.Server.Firefly;

/// <summary>
/// Who an image request is metered to for quotas and usage (docs/firefly.md#quotas-and-usage), and what a quota
/// refusal answers: 429 <c>rate_limited</c> with <c>Retry-After</c> (the seconds until the full window ends), or 422
/// when the request asks for more images than the limit allows in a whole window (no wait would help).
/// </summary>
public sealed class Metering(CredentialCache credentials)
{
    /// <summary>The built-in engine's name in usage rows.</summary>
    public const string Procedural = "procedural";

    /// <summary>
    /// The engine that runs an org's (or its project's) image operations, as recorded in usage. Until engines per org
    /// exist every operation runs on the built-in one: this is the one place that says so.
    /// </summary>
    public static ValueTask<string> EngineAsync(long orgId, long projectId, CancellationToken ct) => ValueTask.FromResult(Procedural);

    public async Task<Metered> ForAsync(ImsCaller caller, ImageOperation op, CancellationToken ct)
    {
        var projectId = caller.IsCredential && await credentials.GetAsync(caller.ClientId, ct) is { } c ? c.ProjectId : 0;
        return new Metered(caller.OrgId, projectId, caller.CredentialId ?? 0, Operations.PathOf(op), await EngineAsync(caller.OrgId, projectId, ct));
    }

    public static Refusal Refused(QuotaRefusal q, int images) => q.NeverFits
        ? Refusal.Invalid(["body", "numVariations"],
            $"The request asks for {images} images; this {q.Scope}'s quota allows {q.Limit} per {QuotaWindows.Name(q.Window)}", "value_error.quota")
        : new Refusal(429, "rate_limited",
            $"Image quota reached: this {q.Scope} may generate {q.Limit} images per {QuotaWindows.Name(q.Window)}; retry after the time in retry-after",
            RetryAfter: q.RetryAfter);
}
