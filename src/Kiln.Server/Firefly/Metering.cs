using Kiln.Server.Core;
using Kiln.Server.Generation;
using Kiln.Server.Ims;
using Kiln.Server.Quotas;

namespace Kiln.Server.Firefly;

/// <summary>
/// Who an image request is metered to for quotas and usage (docs/firefly.md#quotas-and-usage), and what a quota
/// refusal answers: 429 <c>rate_limited</c> with <c>Retry-After</c> (the seconds until the full window ends) and
/// <c>x-access-rate-limit-level</c> (<c>org</c> for the org's limit, <c>account</c> for a project's or a credential's:
/// docs/upstream.md#quotas-and-usage), or 422 when the request asks for more images than the limit allows in a whole
/// window (no wait would help).
/// </summary>
public sealed class Metering(CredentialCache credentials)
{
    /// <summary>The caller's org, project and credential, the operation and the engine it runs on (<see cref="ImageRunner.EngineForAsync"/>).</summary>
    public async Task<Metered> ForAsync(ImsCaller caller, ImageOperation op, EngineChoice engine, CancellationToken ct)
    {
        var projectId = engine.ProjectId ?? (caller.IsCredential && await credentials.GetAsync(caller.ClientId, ct) is { } c ? c.ProjectId : 0);
        return new Metered(caller.OrgId, projectId, caller.CredentialId ?? 0, Operations.PathOf(op), engine.Name);
    }

    public static Refusal Refused(QuotaRefusal q, int images) => q.NeverFits
        ? Refusal.Invalid(["body", "numVariations"],
            $"The request asks for {images} images; this {q.Scope}'s quota allows {q.Limit} per {QuotaWindows.Name(q.Window)}", "value_error.quota")
        : new Refusal(429, "rate_limited",
            $"Image quota reached: this {q.Scope} may generate {q.Limit} images per {QuotaWindows.Name(q.Window)}; retry after the time in retry-after",
            RetryAfter: q.RetryAfter, RateLimitLevel: LevelOf(q.Scope));

    /// <summary>The <c>x-access-rate-limit-level</c> of a quota's level: the org's limit is <c>org</c>; a project's or credential's is <c>account</c>.</summary>
    public static string LevelOf(string scope) => scope == QuotaScopes.Org ? "org" : "account";
}
