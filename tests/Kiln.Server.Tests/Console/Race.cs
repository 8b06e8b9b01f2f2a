using System.Net;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>Fires requests together: every one waits on one gate, so they reach the server at the same moment.</summary>
public static class Race
{
    public static async Task<int[]> AllAsync(int count, Func<int, Task<HttpResponseMessage>> send)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.Task;
            using var res = await send(i);
            return (int)res.StatusCode;
        }).ToList();
        gate.SetResult();
        return await Task.WhenAll(tasks);
    }

    public static async Task<int[]> AllAsync(params Func<Task<HttpResponseMessage>>[] sends) =>
        await AllAsync(sends.Length, i => sends[i]());

    public static int Count(this int[] statuses, int status) => statuses.Count(s => s == status);

    public static int Count(this int[] statuses, HttpStatusCode status) => statuses.Count((int)status);

    /// <summary>The uuids of a credential's secrets, through the list API.</summary>
    public static async Task<List<string>> SecretsAsync(HttpClient http, string orgId, string credentialId)
    {
        var json = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{orgId}/credentials/{credentialId}/secrets"), 200);
        return json.GetProperty("client_secrets").EnumerateArray().Select(s => s.GetProperty("uuid").GetString()!).ToList();
    }

    public static string Id(this JsonElement json, string name = "id") => json.GetProperty(name).GetString()!;
}
