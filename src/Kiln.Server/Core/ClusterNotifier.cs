using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Server.Core;

/// <summary>What one node tells every node, itself included.</summary>
public enum ClusterTopic
{
    /// <summary>A credential, its secrets or its services changed; payload: the client id.</summary>
    CredentialChanged,
    /// <summary>A token was invalidated; payload: <c>jti:exp</c> (Unix seconds).</summary>
    TokenRevoked,
    /// <summary>A client authentication failed; payload: the brute-force counter key.</summary>
    AuthFailure,
    /// <summary>A job was canceled; payload: the job id. The node running it stops it.</summary>
    JobCanceled,
    /// <summary>This node may have missed messages (its listening connection dropped); caches must reload.</summary>
    Resync,
}

/// <summary>A message as a subscriber sees it. <see cref="FromThisNode"/> tells a node's own messages from the others'.</summary>
public readonly record struct ClusterMessage(string Payload, bool FromThisNode);

/// <summary>
/// The one way features tell each other, and the other nodes, that shared state changed. <see cref="Publish"/>
/// delivers to this node's subscribers at once and, on PostgreSQL, to every other node through LISTEN/NOTIFY on
/// channel <c>kiln_changes</c>. On SQLite there is one node and delivery is in-process only. When the listening
/// connection drops, subscribers of <see cref="ClusterTopic.Resync"/> run after it is back. Subscribers are singletons
/// registered with <see cref="ClusterSubscribers.Add{T}"/>, created when Kiln starts so that they hear
/// every message from then on.
/// </summary>
public sealed class ClusterNotifier(
    IOptions<KilnOptions> options, IOptions<ClusterSubscribers> subscribers, IServiceProvider services, TimeProvider clock,
    ILogger<ClusterNotifier> log) : BackgroundService
{
    public const string Channel = "kiln_changes";
    private static readonly ClusterTopic[] Topics = Enum.GetValues<ClusterTopic>();
    private readonly string _node = Guid.NewGuid().ToString("N")[..12];
    private readonly Dictionary<ClusterTopic, List<Action<ClusterMessage>>> _handlers = Topics.ToDictionary(t => t, _ => new List<Action<ClusterMessage>>());
    private NpgsqlDataSource? _source;

    /// <summary>Registers a handler; features subscribe once, from their constructors.</summary>
    public void Subscribe(ClusterTopic topic, Action<ClusterMessage> handler)
    {
        lock (_handlers) _handlers[topic].Add(handler);
    }

    /// <summary>Tells every node. Other nodes hear it best-effort; cached state also ages out on its own.</summary>
    public void Publish(ClusterTopic topic, string payload = "")
    {
        Deliver(topic, new ClusterMessage(payload, FromThisNode: true));
        if (options.Value.UsesPostgres && topic != ClusterTopic.Resync) _ = SendAsync($"{_node}|{(int)topic}|{payload}");
    }

    private void Deliver(ClusterTopic topic, ClusterMessage message)
    {
        Action<ClusterMessage>[] handlers;
        lock (_handlers) handlers = [.. _handlers[topic]];
        foreach (var h in handlers)
        {
            try { h(message); }
            catch (Exception e) { log.LogError(e, "A {Topic} subscriber failed", topic); }
        }
    }

    // The connection string as given, not KilnDbOptions.WithKilnDefaults: LISTEN is session state, so a connection that
    // goes back to this pool after a failure must be reset (No Reset On Close stays off here).
    private NpgsqlDataSource Source => LazyInitializer.EnsureInitialized(ref _source, () => NpgsqlDataSource.Create(options.Value.Database!));

    private async Task SendAsync(string message)
    {
        try
        {
            await using var cmd = Source.CreateCommand("SELECT pg_notify(@c, @p)");
            cmd.Parameters.AddWithValue("c", Channel);
            cmd.Parameters.AddWithValue("p", message);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not publish a change notification");
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var type in subscribers.Value.Types) services.GetRequiredService(type); // each subscribes in its constructor
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.UsesPostgres) return;
        var delay = TimeSpan.FromMilliseconds(200);
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await Source.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) => Receive(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", conn)) await listen.ExecuteNonQueryAsync(stoppingToken);
                // A second connection, opened now and left in the pool, so the first publish does not wait to connect.
                await using (await Source.OpenConnectionAsync(stoppingToken)) { }
                if (!first) Deliver(ClusterTopic.Resync, new ClusterMessage("", FromThisNode: true));
                first = false;
                delay = TimeSpan.FromMilliseconds(200);
                while (!stoppingToken.IsCancellationRequested) await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                log.LogWarning(e, "Change notification connection lost; reconnecting in {Delay}", delay);
                try { await Task.Delay(delay, clock, stoppingToken); } catch (OperationCanceledException) { return; }
                delay = Backoff.Next(delay, TimeSpan.FromSeconds(10));
            }
        }
    }

    private void Receive(string message)
    {
        var parts = message.Split('|', 3);
        if (parts.Length != 3 || parts[0] == _node || !int.TryParse(parts[1], out var t) || !Enum.IsDefined((ClusterTopic)t)) return;
        Deliver((ClusterTopic)t, new ClusterMessage(parts[2], FromThisNode: false));
    }

    public override void Dispose()
    {
        _source?.Dispose();
        base.Dispose();
    }
}

/// <summary>The singletons that subscribe to the <see cref="ClusterNotifier"/>, created at start.</summary>
public sealed class ClusterSubscribers
{
    public List<Type> Types { get; } = [];

    /// <summary>Registers <typeparamref name="T"/> as a singleton that is created when Kiln starts (it subscribes in its constructor).</summary>
    public static void Add<T>(IServiceCollection services) where T : class
    {
        services.AddSingleton<T>();
        services.Configure<ClusterSubscribers>(s => s.Types.Add(typeof(T)));
    }
}
