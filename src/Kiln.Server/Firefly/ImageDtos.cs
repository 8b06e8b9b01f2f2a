using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Server.Data;
using Kiln.Server.Storage;

namespace Kiln.Server.Firefly;

public sealed record ImageSize(int Width, int Height);

public sealed record ImageUrl(string Url);

public sealed record OutputImage(int Seed, ImageUrl Image);

/// <summary>The sync response (docs/firefly.md#responses); generate and object composite add <c>contentClass</c>.</summary>
public sealed record ImagesResponse(
    ImageSize Size,
    IReadOnlyList<OutputImage> Outputs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ContentClass);

public sealed record AsyncAccepted(string JobId, string StatusUrl, string CancelUrl);

/// <summary>
/// The status body (docs/firefly.md#responses); a failed job carries <c>error_code</c> and <c>message</c>, and a 422's
/// <c>validation_errors</c> when its engine or upstream gave them.
/// </summary>
public sealed record JobStatus(
    string JobId,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Progress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ImagesResponse? Result,
    [property: JsonPropertyName("error_code"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message,
    [property: JsonPropertyName("validation_errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ValidationError>? ValidationErrors = null);

public sealed record UploadedImage(string Id);

public sealed record UploadResponse(IReadOnlyList<UploadedImage> Images);

public static class ImageMapping
{
    /// <summary>Signs fresh download URLs for a stored result.</summary>
    public static async Task<ImagesResponse> AsResponseAsync(this RunResult r, IBlobStore store, TimeSpan lifetime, CancellationToken ct)
    {
        var outputs = new List<OutputImage>(r.Outputs.Count);
        foreach (var o in r.Outputs) outputs.Add(new OutputImage(o.Seed, new ImageUrl(o.Url ?? await store.GetDownloadUrlAsync(o.Key, lifetime, ct))));
        return new ImagesResponse(new ImageSize(r.Width, r.Height), outputs, r.ContentClass);
    }

    /// <summary>A failed job's <see cref="Job.ValidationErrors"/>: null when there are none.</summary>
    public static string? ErrorsToJson(IReadOnlyList<ValidationError>? errors) => errors is { Count: > 0 } ? JsonSerializer.Serialize(errors) : null;

    public static IReadOnlyList<ValidationError>? ErrorsFromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<List<ValidationError>>(json);

    public static async Task<JobStatus> AsStatusAsync(this Job j, IBlobStore store, TimeSpan lifetime, CancellationToken ct) => j.Status switch
    {
        JobStates.Succeeded => new JobStatus(j.Id, j.Status, 100, await RunResult.FromJson(j.Result!).AsResponseAsync(store, lifetime, ct), null, null),
        JobStates.Failed => new JobStatus(j.Id, j.Status, null, null, j.ErrorCode ?? "runtime_error", j.Message ?? "The job failed", ErrorsFromJson(j.ValidationErrors)),
        _ => new JobStatus(j.Id, j.Status, j.Progress, null, null, null),
    };
}

public static class JobStates
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Canceled = "canceled";

    public static bool IsTerminal(string s) => s is Succeeded or Failed or Canceled;

    public const string UrnPrefix = "urn:ff:jobs:kiln:";

    public static string NewId() => UrnPrefix + Guid.NewGuid().ToString("D");
}
