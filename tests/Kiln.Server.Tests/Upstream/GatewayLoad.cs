using System.Collections.Concurrent;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Upstream;

/// <summary>
/// A load of sync generates and async jobs through one or more gateway nodes until it is stopped, recording every
/// failed request (docs/upstream.md#how-it-is-tested). Each node runs its own sync loops; an async loop submits on its
/// node and polls on the next one, so with two nodes either node's worker may run the job.
/// </summary>
internal sealed class GatewayLoad
{
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly int[] _done;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    private GatewayLoad(string prompt, IReadOnlyList<HttpClient> nodes, int syncPerNode, int asyncPerNode, int pollSeconds)
    {
        _done = new int[nodes.Count];
        var body = $$$"""{"prompt":"{{{prompt}}}","size":{"width":1024,"height":1024}}""";
        _loops = Enumerable.Range(0, nodes.Count).SelectMany(n =>
                Enumerable.Range(0, syncPerNode).Select(_ => SyncLoop(nodes[n], n, body))
                    .Concat(Enumerable.Range(0, asyncPerNode).Select(_ => AsyncLoop(nodes[n], nodes[(n + 1) % nodes.Count], n, body, pollSeconds))))
            .ToArray();
    }

    public static GatewayLoad Start(string prompt, IReadOnlyList<HttpClient> nodes, int syncPerNode, int asyncPerNode, int pollSeconds) =>
        new(prompt, nodes, syncPerNode, asyncPerNode, pollSeconds);

    public bool Failed => !_failures.IsEmpty;

    /// <summary>Requests finished so far (failed or not), per node.</summary>
    public int[] DoneByNode => Enumerable.Range(0, _done.Length).Select(i => Volatile.Read(ref _done[i])).ToArray();

    public int Done => DoneByNode.Sum();

    public string Report => $"{_failures.Count} of {Done} requests failed:\n" + string.Join('\n', _failures);

    /// <summary>Stops the loops and waits for the requests in flight.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    private async Task SyncLoop(HttpClient http, int node, string body)
    {
        await Task.Yield();
        while (!_stop.IsCancellationRequested)
        {
            using var res = await http.PostRawAsync("/v3/images/generate", body);
            if ((int)res.StatusCode != 200) _failures.Enqueue($"node {node + 1} sync {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
            Interlocked.Increment(ref _done[node]);
        }
    }

    private async Task AsyncLoop(HttpClient submit, HttpClient poll, int node, string body, int pollSeconds)
    {
        await Task.Yield();
        while (!_stop.IsCancellationRequested)
        {
            using var res = await submit.PostRawAsync("/v3/images/generate-async", body);
            if ((int)res.StatusCode != 202) _failures.Enqueue($"node {node + 1} submit {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
            else
            {
                var path = new Uri((await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!).PathAndQuery;
                var status = await FireflyKit.PollAsync(poll, path, seconds: pollSeconds);
                if (status.GetProperty("status").GetString() != "succeeded") _failures.Enqueue($"node {node + 1} job {status}");
            }
            Interlocked.Increment(ref _done[node]);
        }
    }
}
