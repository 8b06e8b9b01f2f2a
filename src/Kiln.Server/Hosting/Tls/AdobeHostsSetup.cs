using System.Net;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Hosting.Tls;

/// <summary>
/// Composition of the Adobe-hosts modes (docs/adobe-hosts.md): the CA loaded at start, the HTTPS listener with a leaf
/// per SNI name (<c>--adobe-hosts</c>), the CONNECT proxy and its internal listener (<c>--proxy-port</c>), and the
/// middleware that lets responses on those listeners point back at the host the client used.
/// </summary>
public static class AdobeHostsSetup
{
    private const string ListenerItem = "Kiln.AdobeHosts.Listener";
    private const string HttpsListener = "https", ProxiedListener = "proxy";

    /// <summary>Called by <see cref="KilnApp.Build"/>; nothing changes unless a mode is on.</summary>
    public static void Add(WebApplicationBuilder builder)
    {
        var o = AdobeHostsOptions.From(builder.Configuration);
        if (!o.AnyMode) return;
        if (o.Problem() is { } problem) throw new OptionsValidationException(AdobeHostsOptions.Section, typeof(AdobeHostsOptions), [problem]);
        builder.Services.AddOptions<AdobeHostsOptions>().BindConfiguration(AdobeHostsOptions.Section);
        builder.Services.AddSingleton<LeafCertificates>();
        builder.Services.AddSingleton<IStartupTask, CaAtStart>();
        ProxyRelay? relay = null;
        if (o.ProxyPort is not null)
        {
            relay = new ProxyRelay();
            builder.Services.AddSingleton(relay);
            builder.Services.AddHostedService<ConnectProxy>();
        }

        // Listening in code replaces the `urls` setting, so its addresses are bound here too (and the setting emptied,
        // which spares the host's "overriding addresses" warning).
        var urls = (builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } u ? u : "http://localhost:5000")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, "");
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var url in urls) Listen(k, url);
            var leaves = k.ApplicationServices.GetRequiredService<LeafCertificates>();
            if (o.Enabled)
                k.Listen(IPAddress.Parse(o.HttpsAddress), o.HttpsPort, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    l.Use(Mark(HttpsListener));
                    l.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        HandshakeTimeout = TimeSpan.FromSeconds(10),
                        OnConnection = c => ValueTask.FromResult(new System.Net.Security.SslServerAuthenticationOptions
                        {
                            // A name the CA may not sign for: no certificate, the handshake fails (docs/adobe-hosts.md#https-listener).
                            ServerCertificateContext = leaves.For(c.ClientHelloInfo.ServerName)
                                ?? throw new System.Security.Authentication.AuthenticationException("Kiln serves no certificate for this name."),
                            ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http11],
                        }),
                    });
                });
            if (relay is not null)
                k.ListenUnixSocket(relay.SocketPath, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    l.Use(Mark(ProxiedListener));
                });
        });
    }

    private static void Listen(KestrelServerOptions k, string url)
    {
        var a = BindingAddress.Parse(url);
        Action<ListenOptions> https = l => { if (a.Scheme == "https") l.UseHttps(); };
        var host = a.Host.Trim('[', ']');
        if (a.IsUnixPipe) k.ListenUnixSocket(a.UnixPipePath, https);
        else if (host == "localhost") k.ListenLocalhost(a.Port, https);
        else if (IPAddress.TryParse(host, out var ip)) k.Listen(ip, a.Port, https);
        else k.ListenAnyIP(a.Port, https);
    }

    private static Func<ConnectionDelegate, ConnectionDelegate> Mark(string listener) => next => connection =>
    {
        connection.Items[ListenerItem] = listener;
        return next(connection);
    };

    /// <summary>
    /// First in the pipeline. On the HTTPS listener and behind the proxy, a request whose Host is a served name gets
    /// its URLs built from that host (<see cref="PublicUrl.RequestOriginItem"/>); behind the proxy the request is
    /// HTTPS from a loopback client, as the client sees it.
    /// </summary>
    public static WebApplication UseAdobeHosts(this WebApplication app)
    {
        if (app.Services.GetService<LeafCertificates>() is not { } leaves) return app;
        app.Use((ctx, next) =>
        {
            if (ctx.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerItem, out var listener) == true)
            {
                if (ProxiedListener.Equals(listener))
                {
                    ctx.Request.Scheme = "https";
                    ctx.Connection.RemoteIpAddress = IPAddress.Loopback; // the proxy listens on loopback only
                }
                if (leaves.Serves(ctx.Request.Host.Host)) ctx.Items[PublicUrl.RequestOriginItem] = true;
            }
            return next(ctx);
        });
        return app;
    }

    /// <summary>Loads (or makes) the CA once migrations have run, writes its PEM file, and hands it to the leaves.</summary>
    private sealed class CaAtStart(LeafCertificates leaves, IOptions<AdobeHostsOptions> options, IOptions<KilnOptions> kiln, KeyEncryption kek, TimeProvider clock, ILogger<CaAtStart> log) : IStartupTask
    {
        public async Task RunAsync(IServiceProvider services, CancellationToken ct)
        {
            var ca = await KilnCa.LoadOrCreateAsync(services.GetRequiredService<KilnDb>(), kek, options.Value.AllNames, options.Value.ReissueCa, clock, log, ct);
            var pem = await ca.WritePemAsync(kiln.Value.FullDataDir, ct);
            leaves.Use(ca);
            log.LogInformation("Kiln CA {Thumbprint} for {Names}; its certificate is {Pem} (docs/adobe-hosts.md)", ca.Certificate.Thumbprint, string.Join(", ", ca.PermittedNames), pem);
        }
    }
}
