using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Firefly;
using Kiln.Server.Quotas;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Upstream;

/// <summary>
/// The engine <c>upstream:&lt;name&gt;</c> (docs/upstream.md#what-is-forwarded): forwards a validated request to the
/// org's upstream profile of that name. Inputs become the upstream's upload ids (a Kiln upload is sent once and its id
/// remembered until it expires there; a URL is fetched through Kiln's SSRF guard and sent, unless its host is on the
/// profile's pass-through list). Outputs are copied into Kiln's store, or handed out as they are in pass-through mode.
/// Sync: one call, whose 4xx answer reaches the client unchanged; an outage is 503 with Retry-After, an upstream 429 is
/// 429 with its Retry-After. Async: one upstream job per Kiln job, its id saved on the job before it is polled, so a
/// restart resumes it; outages and 429s are retried with backoff up to <see cref="UpstreamOptions.JobRetryLimit"/> in a
/// row; a refused credential fails the job at once with a message that says so. Every 429 of the upstream, sync or a
/// job's, is counted in usage by <see cref="RateLimitedAsync"/>.
/// </summary>
public sealed class UpstreamEngine(
    UpstreamClients clients, SourceResolver sources, QuotaLedger quotas, IServiceScopeFactory scopes, TimeProvider clock,
    IOptions<UpstreamOptions> options, IOptions<FireflyOptions> firefly, ILogger<UpstreamEngine> log) : IImageEngine
{
    /// <summary>The upstream job as saved on the Kiln job (<see cref="Job.Upstream"/>).</summary>
    public sealed record UpstreamJob(string JobId, string? StatusUrl, string? CancelUrl);

    private UpstreamOptions O => options.Value;

    public bool Serves(string engine) => EngineNames.UpstreamOf(engine) is { Length: > 0 };

    public async Task<Checked<EngineResult>> RunAsync(EngineRequest request, EngineOutputs outputs, CancellationToken ct)
    {
        var name = EngineNames.UpstreamOf(request.Engine)!;
        if (await LoadAsync(request.OrgId, name, ct) is not { } profile)
            return new Refusal(503, "service_unavailable", $"The engine '{request.Engine}' names no upstream profile of this org; ask an org admin (docs/upstream.md#engines)", RetryAfter: 60);
        var rt = clients.For(profile);
        try
        {
            return request.Job is null ? await SyncAsync(rt, request, outputs, ct) : await JobAsync(rt, request, request.Job, outputs, ct);
        }
        catch (UpstreamAuthException e)
        {
            // A 401 after the renewal usually means the secret itself was revoked: say so when a fresh token cannot be minted.
            var token = await rt.Tokens.TryGetTokenAsync(cancellationToken: CancellationToken.None);
            var message = token.IsSuccess ? e.Message : UpstreamCalls.TokenFailure(name, token).Message;
            log.LogError("Upstream {Upstream} of org {OrgId}: {Problem}", name, request.OrgId, message);
            return request.Job is null ? new Refusal(503, "service_unavailable", message, RetryAfter: 60) : new Refusal(403, "access_error", message);
        }
        catch (UpstreamDownException e) when (request.Job is null)
        {
            log.LogWarning("Upstream {Upstream} of org {OrgId}: {Problem}", name, request.OrgId, e.Message);
            await RateLimitedAsync(request, e);
            var seconds = (int)Math.Ceiling((e.RetryAfter ?? TimeSpan.FromSeconds(O.RetryAfterSeconds)).TotalSeconds);
            return e.Status == 429 ? new Refusal(429, "rate_limited", e.Message, RetryAfter: Math.Max(1, seconds), RateLimitLevel: e.RateLimitLevel)
                : new Refusal(503, "service_unavailable", e.Message, RetryAfter: Math.Max(1, seconds));
        }
    }

    /// <summary>
    /// The one place an upstream's 429 is counted in usage, apart from Kiln's own quota refusals
    /// (docs/upstream.md#quotas-and-usage): a sync request's, and each one a job meets while it submits, polls or retries.
    /// </summary>
    private async Task RateLimitedAsync(EngineRequest request, UpstreamDownException e)
    {
        if (e.Status == 429) await quotas.CountUpstreamRateLimitedAsync(request.Who, CancellationToken.None);
    }

    public async Task CancelAsync(long orgId, string engine, EngineJob job, CancellationToken ct)
    {
        try
        {
            if (job.State is null || await LoadAsync(orgId, EngineNames.UpstreamOf(engine)!, ct) is not { } profile) return;
            await CancelUpstreamAsync(clients.For(profile), JsonSerializer.Deserialize<UpstreamJob>(job.State)!, ct);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.LogWarning("Could not cancel job {JobId} upstream: {Error}", job.Id, e.Message);
        }
    }

    private async Task<UpstreamProfile?> LoadAsync(long orgId, string name, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        return await db.UpstreamProfiles.AsNoTracking().FirstOrDefaultAsync(p => p.OrgId == orgId && p.Name == name, ct);
    }

    private async Task<Checked<EngineResult>> SyncAsync(UpstreamClients.Runtime rt, EngineRequest request, EngineOutputs outputs, CancellationToken ct)
    {
        var spec = request.Spec;
        if ((await BodyAsync(rt, spec, isAsync: false, ct)).Failed(out var refusal, out var body)) return refusal;
        var answer = await PostJsonAsync(rt, "v3/images/" + Operations.PathOf(spec.Operation), body, spec.ModelVersion, ct);
        if (!answer.Ok) return answer.AsRefusal(rt.Profile.Name);
        return await CollectAsync(rt, answer.Body!.Value, outputs, ct);
    }

    private async Task<Checked<EngineResult>> JobAsync(UpstreamClients.Runtime rt, EngineRequest request, EngineJob job, EngineOutputs outputs, CancellationToken ct)
    {
        var name = rt.Profile.Name;
        var spec = request.Spec;
        var state = job.State is { } saved ? JsonSerializer.Deserialize<UpstreamJob>(saved) : null;
        var failures = 0;
        var backoff = O.RetryBackoff;
        var poll = O.StatusPollInterval;
        var deadline = clock.GetUtcNow() + O.JobTimeout;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (state is null)
                {
                    if ((await BodyAsync(rt, spec, isAsync: true, ct)).Failed(out var refusal, out var body)) return refusal;
                    var accepted = await PostJsonAsync(rt, "v3/images/" + Operations.PathOf(spec.Operation) + "-async", body, spec.ModelVersion, ct);
                    if (!accepted.Ok) return accepted.AsRefusal(name);
                    if (accepted.Str("jobId") is not { } upstreamId) return new Refusal(502, "runtime_error", $"The upstream '{name}' accepted the job without a jobId");
                    state = new UpstreamJob(upstreamId, accepted.Str("statusUrl"), accepted.Str("cancelUrl"));
                    if (!await job.SaveStateAsync(JsonSerializer.Serialize(state)))
                    {
                        await CancelUpstreamAsync(rt, state, CancellationToken.None); // canceled or taken over while submitting
                        throw new OperationCanceledException("The job is no longer held by this node");
                    }
                    log.LogInformation("Job {JobId} runs upstream on {Upstream} as {UpstreamJobId}", job.Id, name, upstreamId);
                }
                using var req = new HttpRequestMessage(HttpMethod.Get, FollowUrl(rt, state.StatusUrl, "v3/status/", state.JobId));
                var status = await UpstreamCalls.SendAsync(rt.Firefly, name, req, O.RequestTimeout, clock, ct);
                if (status.Status == 404) return new Refusal(404, "runtime_error", $"The upstream '{name}' no longer knows job {state.JobId}");
                if (!status.Ok) return status.AsRefusal(name);
                failures = 0;
                backoff = O.RetryBackoff;
                switch (status.Str("status"))
                {
                    case "succeeded":
                        if (status.Body!.Value.TryGetProperty("result", out var result)) return await CollectAsync(rt, result, outputs, ct);
                        return new Refusal(502, "runtime_error", $"The upstream '{name}' reported success without a result");
                    case "failed":
                        var failed = status.AsRefusal(name);
                        return failed with { Code = status.Str("error_code") ?? "runtime_error", Message = status.Str("message") ?? $"The job failed on the upstream '{name}'" };
                    case "canceled" or "cancelled":
                        return new Refusal(409, "runtime_error", $"The job was canceled on the upstream '{name}'");
                }
                if (status.Body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("progress", out var p) && p.TryGetDouble(out var pct))
                    request.Progress?.Report((int)Math.Clamp(pct, 0, 99));
                if (clock.GetUtcNow() > deadline)
                {
                    await CancelUpstreamAsync(rt, state, CancellationToken.None);
                    return new Refusal(504, "timeout_error", $"The job did not finish on the upstream '{name}' within {O.JobTimeout}; it was canceled there");
                }
                await Task.Delay(poll, clock, ct);
                poll = TimeSpan.FromTicks(Math.Min((long)(poll.Ticks * 1.5), O.MaxStatusPollInterval.Ticks));
            }
            catch (UpstreamDownException e)
            {
                await RateLimitedAsync(request, e);
                if (++failures > O.JobRetryLimit)
                {
                    log.LogWarning("Job {JobId} gives up on upstream {Upstream}: {Problem}", job.Id, name, e.Message);
                    return new Refusal(503, e.Status == 429 ? "rate_limited" : "timeout_error",
                        $"{e.Message}; Kiln tried {failures} times in a row and gave up (docs/upstream.md#failures)");
                }
                var wait = e.RetryAfter is { } ra && ra > backoff ? ra : backoff;
                log.LogWarning("Job {JobId}: {Problem}; retry {Attempt} of {Limit} in {Delay}", job.Id, e.Message, failures, O.JobRetryLimit, wait);
                await Task.Delay(wait, clock, ct);
                backoff = Backoff.Next(backoff, O.MaxRetryBackoff);
            }
        }
    }

    private async Task CancelUpstreamAsync(UpstreamClients.Runtime rt, UpstreamJob state, CancellationToken ct)
    {
        try
        {
            using var req = new HttpRequestMessage(HttpMethod.Put, FollowUrl(rt, state.CancelUrl, "v3/cancel/", state.JobId));
            var answer = await UpstreamCalls.SendAsync(rt.Firefly, rt.Profile.Name, req, O.RequestTimeout, clock, ct);
            log.LogInformation("Canceled upstream job {UpstreamJobId} on {Upstream}: HTTP {Status}", state.JobId, rt.Profile.Name, answer.Status);
        }
        catch (Exception e) when (e is UpstreamDownException or UpstreamAuthException)
        {
            log.LogWarning("Could not cancel upstream job {UpstreamJobId} on {Upstream}: {Problem}", state.JobId, rt.Profile.Name, e.Message);
        }
    }

    /// <summary>
    /// A status or cancel URL the upstream gave: followed when it is on the upstream's Firefly host (or an Adobe pod
    /// host), else rebuilt on the Firefly base URL, so Kiln's token never goes to another host.
    /// </summary>
    private static Uri FollowUrl(UpstreamClients.Runtime rt, string? given, string path, string jobId)
    {
        var fb = rt.FireflyBase;
        if (Uri.TryCreate(given, UriKind.Absolute, out var u) && u.Scheme == fb.Scheme
            && (string.Equals(u.Host, fb.Host, StringComparison.OrdinalIgnoreCase) && u.Port == fb.Port
                || fb.Host.EndsWith(".adobe.io", StringComparison.OrdinalIgnoreCase) && u.Host.EndsWith(".adobe.io", StringComparison.OrdinalIgnoreCase)))
            return u;
        return new Uri(fb, path + Uri.EscapeDataString(jobId));
    }

    private async Task<UpstreamAnswer> PostJsonAsync(UpstreamClients.Runtime rt, string path, JsonObject body, string? modelVersion, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, new Uri(rt.FireflyBase, path))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToJsonString())) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (modelVersion is { Length: > 0 }) req.Headers.Add("x-model-version", modelVersion);
        return await UpstreamCalls.SendAsync(rt.Firefly, rt.Profile.Name, req, O.RequestTimeout, clock, ct);
    }

    /// <summary>The upstream request body, its sources turned into upload ids (or passed-through URLs).</summary>
    private async Task<Checked<JsonObject>> BodyAsync(UpstreamClients.Runtime rt, ImageSpec spec, bool isAsync, CancellationToken ct)
    {
        var inputs = new Dictionary<SourceRef, JsonObject>();
        foreach (var s in new[] { spec.Source, spec.Mask, spec.StyleReference, spec.StructureReference })
        {
            if (s is null || inputs.ContainsKey(s)) continue;
            if ((await InputAsync(rt, spec, s, ct)).Failed(out var refusal, out var node)) return refusal;
            inputs[s] = node;
        }
        return UpstreamBodies.For(spec, isAsync, s => (JsonObject)inputs[s].DeepClone());
    }

    private async Task<Checked<JsonObject>> InputAsync(UpstreamClients.Runtime rt, ImageSpec spec, SourceRef s, CancellationToken ct)
    {
        if (s.BlobKey is null && s.Url is { } url && PassesThrough(rt.Profile, url)) return new JsonObject { ["url"] = url };
        var now = clock.GetUtcNow();
        if (s.BlobKey is { } key)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            var known = await db.UpstreamUploads.AsNoTracking().Where(u => u.ProfileId == rt.Profile.Id && u.BlobKey == key && u.ExpiresAt > now)
                .Select(u => u.UpstreamId).FirstOrDefaultAsync(ct);
            if (known is not null) return new JsonObject { ["uploadId"] = known };
        }
        if ((await sources.LoadAsync(spec, s, ct)).Failed(out var refusal, out var bytes)) return refusal;
        using var req = new HttpRequestMessage(HttpMethod.Post, new Uri(rt.FireflyBase, "v2/storage/image"))
        {
            Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue(UpstreamCalls.ImageType(bytes)) } },
        };
        var answer = await UpstreamCalls.SendAsync(rt.Firefly, rt.Profile.Name, req, O.RequestTimeout, clock, ct);
        if (!answer.Ok) return answer.AsRefusal(rt.Profile.Name);
        if (answer.Body is not { ValueKind: JsonValueKind.Object } b || !b.TryGetProperty("images", out var images) || images.GetArrayLength() == 0
            || images[0].GetProperty("id").GetString() is not { } id)
            return new Refusal(502, "runtime_error", $"The upstream '{rt.Profile.Name}' answered the upload without an id");
        if (s.BlobKey is { } blobKey) await RememberAsync(rt.Profile.Id, blobKey, id, now, ct);
        return new JsonObject { ["uploadId"] = id };
    }

    /// <summary>Remembers an upload for six days (uploads last seven upstream: docs/firefly.md#uploads).</summary>
    private async Task RememberAsync(string profileId, string key, string upstreamId, DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        await db.UpstreamUploads.Where(u => u.ProfileId == profileId && u.BlobKey == key).ExecuteDeleteAsync(ct);
        db.UpstreamUploads.Add(new UpstreamUpload { ProfileId = profileId, BlobKey = key, UpstreamId = upstreamId, ExpiresAt = now + TimeSpan.FromDays(6) });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { /* another request remembered it first */ }
    }

    private static bool PassesThrough(UpstreamProfile p, string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme == "https"
        && UpstreamProfiles.Hosts(p.PassThroughHosts).Any(h => u.IdnHost.Equals(h, StringComparison.OrdinalIgnoreCase) || u.IdnHost.EndsWith("." + h, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads a sync-shaped result and stores (or passes through) every output in order.</summary>
    private async Task<Checked<EngineResult>> CollectAsync(UpstreamClients.Runtime rt, JsonElement result, EngineOutputs outputs, CancellationToken ct)
    {
        var name = rt.Profile.Name;
        if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty("outputs", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            return new Refusal(502, "runtime_error", $"The upstream '{name}' answered without outputs");
        int width = 0, height = 0;
        if (result.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Object)
            (width, height) = (size.GetProperty("width").GetInt32(), size.GetProperty("height").GetInt32());
        var contentClass = result.TryGetProperty("contentClass", out var cc) && cc.ValueKind == JsonValueKind.String ? cc.GetString() : null;
        var items = list.EnumerateArray().Select((o, i) => (Index: i, Seed: o.GetProperty("seed").GetInt32(), Url: o.GetProperty("image").GetProperty("url").GetString()!)).ToList();
        var stored = await Task.WhenAll(items.Select(async x =>
            rt.Profile.PassThroughOutputs ? EngineOutputs.PassThrough(x.Seed, x.Url) : await CopyAsync(name, x.Index, x.Seed, x.Url, outputs, ct)));
        return new EngineResult(width, height, contentClass, stored);
    }

    /// <summary>Copies one output into Kiln's store (the default: clients get Kiln's URLs, expiry and org isolation).</summary>
    private async Task<StoredOutput> CopyAsync(string name, int index, int seed, string url, EngineOutputs outputs, CancellationToken ct)
    {
        using var http = clients.Plain(name, UpstreamMeter.Output);
        byte[] bytes;
        string type;
        try
        {
            using var res = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!res.IsSuccessStatusCode) throw new UpstreamDownException($"The upstream '{name}' output could not be downloaded (HTTP {(int)res.StatusCode})");
            await using var stream = await res.Content.ReadAsStreamAsync(ct);
            bytes = await CappedBody.ReadAsync(stream, firefly.Value.MaxSourceBytes, ct)
                ?? throw new UpstreamDownException($"The upstream '{name}' output is larger than {firefly.Value.MaxSourceBytes} bytes");
            var given = res.Content.Headers.ContentType?.MediaType;
            type = given is "image/png" or "image/webp" or "image/jpeg" ? given : UpstreamCalls.ImageType(bytes);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamDownException($"The upstream '{name}' output could not be downloaded ({e.HttpRequestError})");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new UpstreamDownException($"The upstream '{name}' output download timed out");
        }
        return await outputs.StoreAsync(index, seed, bytes, type, ct);
    }
}
