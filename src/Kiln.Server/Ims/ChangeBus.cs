using System.Globalization;
using Kiln.Server.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Server.Ims;

/// <summary>
/// Carries revocations and brute-force counts between nodes that share a PostgreSQL database, with
/// LISTEN/NOTIFY on channel <c>kiln_changes</c>. Messages: <c>c:&lt;client id&gt;</c> (a credential, its secrets or
/// services changed), <c>j:&lt;jti&gt;:&lt;exp&gt;</c> (a token was invalidated), <c>f:&lt;counter key&gt;</c> (a failed
/// client authentication), <c>x:&lt;job id&gt;</c> (a job was canceled; the node running it stops it). Each is prefixed with the sender's node id so a node ignores its own.
/// On SQLite (one node) the bus is idle. If the listening connection drops, the node clears its
/// credential cache and reloads revocations, since it may have missed messages.
/// </summary>
public sealed class ChangeBus(
    IOptions<KilnOptions> options, CredentialCache credentials, RevocationList revocations, BruteForceGuard guard,
    Firefly.JobCancellations jobs, IServiceScopeFactory scopes, TimeProvider clock, ILogger<ChangeBus> log) : BackgroundService
{
    public const string Channel = "kiln_changes";
    private readonly string _node = Guid.NewGuid().ToString("N")[..12];
    private NpgsqlDataSource? _source;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.UsesPostgres) return Task.CompletedTask;
        _source = NpgsqlDataSource.Create(options.Value.Database!);
        credentials.Invalidated += clientId => Publish("c:" + clientId);
        revocations.Revoked += (jti, exp) => Publish($"j:{jti}:{exp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}");
        guard.FailureRecorded += key => Publish("f:" + key);
        jobs.Requested += jobId => Publish("x:" + jobId);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await _source!.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) => Apply(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", conn)) await listen.ExecuteNonQueryAsync(stoppingToken);
                if (!first) await ResyncAsync(stoppingToken);
                first = false;
                delay = TimeSpan.FromMilliseconds(200);
                while (!stoppingToken.IsCancellationRequested) await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                log.LogWarning(e, "Change bus connection lost; reconnecting in {Delay}", delay);
                try { await Task.Delay(delay, clock, stoppingToken); } catch (OperationCanceledException) { return; }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    public override void Dispose()
    {
        _source?.Dispose();
        base.Dispose();
    }

    private void Publish(string message) => _ = PublishAsync(message);

    private async Task PublishAsync(string message)
    {
        try
        {
            await using var cmd = _source!.CreateCommand("SELECT pg_notify(@c, @p)");
            cmd.Parameters.AddWithValue("c", Channel);
            cmd.Parameters.AddWithValue("p", _node + "|" + message);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (Exception e)
        {
            // Other nodes still converge: credential entries expire after CredentialCache.MaxAge.
            log.LogWarning(e, "Could not publish a change notification");
        }
    }

    private void Apply(string payload)
    {
        var bar = payload.IndexOf('|');
        if (bar < 0 || payload.AsSpan(0, bar).SequenceEqual(_node)) return;
        var message = payload[(bar + 1)..];
        switch (message[..2])
        {
            case "c:":
                credentials.InvalidateLocal(message[2..]);
                break;
            case "j:":
                var parts = message[2..].Split(':');
                if (parts.Length == 2 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var exp))
                    revocations.AddLocal(parts[0], DateTimeOffset.FromUnixTimeSeconds(exp));
                break;
            case "f:":
                guard.BumpRemote(message[2..]);
                break;
            case "x:":
                jobs.CancelLocal(message[2..]);
                break;
        }
    }

    private async Task ResyncAsync(CancellationToken ct)
    {
        credentials.Clear();
        await using var scope = scopes.CreateAsyncScope();
        await revocations.LoadAsync(scope.ServiceProvider.GetRequiredService<Data.KilnDb>(), ct);
    }
}
