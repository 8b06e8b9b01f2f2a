using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Hosting.Tls;

/// <summary>
/// <c>kiln serve --proxy-port N</c> (docs/adobe-hosts.md#proxy-mode): an HTTP CONNECT proxy on 127.0.0.1:N for clients
/// that honour <c>HTTPS_PROXY</c>. A CONNECT to a served name on port 443 is answered 200, its TLS is terminated with
/// that name's leaf, and the decrypted HTTP is relayed to Kiln's own internal listener (a Unix socket in a 0700
/// folder), so it runs through the same pipeline as every other request. Anything else gets 403 and the connection
/// closes: the proxy never opens a connection anywhere else, so it is never an open proxy.
/// </summary>
public sealed class ConnectProxy(IOptions<AdobeHostsOptions> options, LeafCertificates leaves, ProxyRelay relay, ILogger<ConnectProxy> log) : IHostedService
{
    public const int MaxHeadBytes = 8 * 1024;
    private const int MaxConnections = 512;
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10), HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots = new(MaxConnections);
    private TcpListener? _listener;
    private Task? _loop;

    public Task StartAsync(CancellationToken ct)
    {
        var port = options.Value.ProxyPort ?? AdobeHosts.DefaultProxyPort;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start(backlog: 512);
        _loop = AcceptAsync(_listener, _stop.Token);
        log.LogInformation("Proxy for Kiln's host names on 127.0.0.1:{Port} (docs/adobe-hosts.md#proxy-mode)", port);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken ct)
    {
        await _stop.CancelAsync();
        _listener?.Stop();
        if (_loop is not null) await _loop.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        relay.Dispose();
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(ct); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                log.LogDebug(e, "Proxy accept failed");
                continue;
            }
            if (!_slots.Wait(0, CancellationToken.None))
            {
                client.Dispose(); // full: close at once rather than queue without bound
                continue;
            }
            _ = Task.Run(async () =>
            {
                try { await ServeAsync(client, ct); }
                finally
                {
                    client.Dispose();
                    _slots.Release();
                }
            }, CancellationToken.None);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stopping)
    {
        client.NoDelay = true;
        var stream = client.GetStream();
        try
        {
            Decision decision;
            using (var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                headTimeout.CancelAfter(HeadTimeout);
                var head = await ReadHeadAsync(stream, headTimeout.Token);
                if (head is null)
                {
                    await RespondAsync(stream, 431, "Request Header Fields Too Large", "The request head is larger than 8 KiB.", headTimeout.Token);
                    return;
                }
                decision = Decide(head, leaves);
                if (decision.Status != 200)
                {
                    var method = FirstLine(head).Split(' ')[0];
                    log.LogDebug("Proxy refused a {Method} request with {Status}", method[..Math.Min(method.Length, 16)], decision.Status);
                    await RespondAsync(stream, decision.Status, decision.Reason, decision.Message, headTimeout.Token);
                    return;
                }
                await WriteAsync(stream, "HTTP/1.1 200 Connection Established\r\n\r\n", headTimeout.Token);
            }
            await RelayAsync(stream, decision.Host!, stopping);
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            log.LogDebug("Proxy connection ended: {Error}", e.Message);
        }
    }

    private async Task RelayAsync(NetworkStream stream, string host, CancellationToken stopping)
    {
        var certificate = leaves.For(host);
        if (certificate is null) return;
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            handshake.CancelAfter(HandshakeTimeout);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificate,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                ClientCertificateRequired = false,
            }, handshake.Token);
        }
        using var inner = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await inner.ConnectAsync(new UnixDomainSocketEndPoint(relay.SocketPath), stopping);
        await using var kiln = new NetworkStream(inner, ownsSocket: false);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var up = tls.CopyToAsync(kiln, done.Token);
        var down = kiln.CopyToAsync(tls, done.Token);
        await Task.WhenAny(up, down);
        // One side closed: let the other finish what it has, then end both.
        if (up.IsCompleted) inner.Shutdown(SocketShutdown.Send);
        await Task.WhenAny(Task.WhenAll(up, down), Task.Delay(TimeSpan.FromSeconds(5), stopping));
        await done.CancelAsync();
        await Task.WhenAll(up, down).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>What the proxy does with a request head: 200 and the host to terminate for, or the refusal.</summary>
    public sealed record Decision(int Status, string Reason, string Message, string? Host = null);

    public static Decision Decide(string head, LeafCertificates leaves)
    {
        var parts = FirstLine(head).Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            return new(400, "Bad Request", "Not an HTTP/1.x request line.");
        if (parts[0] != "CONNECT")
            return new(403, "Forbidden", "Kiln's proxy only answers CONNECT to Kiln's host names on port 443; it never forwards requests.");
        var target = parts[1];
        var colon = target.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
            return new(400, "Bad Request", "A CONNECT target is host:port.");
        var host = AdobeHosts.Normalize(target[..colon]);
        if (port != 443 || !leaves.Serves(host))
            return new(403, "Forbidden", $"Kiln's proxy serves only its own host names on port 443 ({target} is not one); it connects nowhere else.");
        return new(200, "Connection Established", "", host);
    }

    private static string FirstLine(string head) => head.Split("\r\n", 2)[0];

    /// <summary>Reads up to the blank line that ends the head, one byte at a time (what follows belongs to TLS); null when it exceeds the limit.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxHeadBytes];
        var n = 0;
        while (n < buffer.Length)
        {
            if (await stream.ReadAsync(buffer.AsMemory(n, 1), ct) == 0) throw new IOException("closed before the end of the request head");
            n++;
            if (n >= 4 && buffer[n - 1] == '\n' && buffer[n - 2] == '\r' && buffer[n - 3] == '\n' && buffer[n - 4] == '\r')
                return Encoding.Latin1.GetString(buffer, 0, n);
        }
        return null;
    }

    private static Task RespondAsync(NetworkStream stream, int status, string reason, string message, CancellationToken ct)
    {
        var body = message + "\n";
        return WriteAsync(stream, $"HTTP/1.1 {AdobeHosts.Invariant(status)} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + $"Content-Length: {AdobeHosts.Invariant(Encoding.UTF8.GetByteCount(body))}\r\nConnection: close\r\n\r\n{body}", ct);
    }

    private static async Task WriteAsync(NetworkStream stream, string text, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await stream.FlushAsync(ct);
    }
}

/// <summary>The internal listener the proxy relays decrypted connections to: a Unix socket in a fresh 0700 folder.</summary>
public sealed class ProxyRelay : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kiln-proxy-");

    public string SocketPath => Path.Combine(_dir.FullName, "kiln.sock");

    public void Dispose()
    {
        try { _dir.Delete(recursive: true); }
        catch (IOException) { }
    }
}
