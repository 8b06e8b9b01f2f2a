using System.Collections.Concurrent;
using System.Text;
using Kiln.Client;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Upstream;

/// <summary>
/// One runtime per upstream profile on this node: a <see cref="ServerToServerTokenProvider"/> (refresh ahead of expiry,
/// one request for any number of callers, one renewal after a 401 through <see cref="KilnAuthHandler"/>) and the HTTP
/// client that calls the upstream's Firefly API with its tokens. A profile row is read on every run; when its
/// <see cref="UpstreamProfile.SecretVersion"/> changed (a rotation on any node, a replaced secret), the provider gets the
/// new secrets at once, so every node switches on its next request (docs/upstream.md#rotation).
/// </summary>
public sealed class UpstreamClients(KeyEncryption kek, ILoggerFactory logs, IOptions<UpstreamOptions> options, KilnMetrics metrics, TimeProvider clock)
    : IDisposable
{
    private readonly SocketsHttpHandler _handler = new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        UseCookies = false,
        UseProxy = false,
    };

    private readonly ConcurrentDictionary<string, Runtime> _runtimes = new(StringComparer.Ordinal);

    /// <summary>
    /// A plain client (no token) on the shared connection pool, for one kind of call to <paramref name="profile"/>'s
    /// upstream (<see cref="UpstreamMeter.Token"/>, <see cref="UpstreamMeter.Firefly"/>, <see cref="UpstreamMeter.Output"/>):
    /// its calls are measured by an <see cref="UpstreamMeter"/>, as every client here.
    /// </summary>
    public HttpClient Plain(string profile, string call) => new(Meter(profile, call), disposeHandler: false) { Timeout = options.Value.RequestTimeout };

    // Never disposed with a client (disposeHandler: false): its inner handler is the shared pool, which lives as long as this.
    private UpstreamMeter Meter(string profile, string call) => new(metrics, clock, profile, call) { InnerHandler = _handler };

    /// <summary>A profile's live objects.</summary>
    public sealed class Runtime(UpstreamProfile profile, ServerToServerTokenProvider tokens, HttpClient firefly, KilnClientOptions clientOptions)
    {
        public UpstreamProfile Profile { get; set; } = profile;
        public ServerToServerTokenProvider Tokens { get; } = tokens;
        /// <summary>Sends with a bearer token and <c>x-api-key</c>; renews once after a 401.</summary>
        public HttpClient Firefly { get; } = firefly;
        public KilnClientOptions ClientOptions { get; } = clientOptions;
        public Uri FireflyBase => new(Profile.FireflyBaseUrl.TrimEnd('/') + "/");
    }

    /// <summary>The runtime for the profile as read now; built on first use, given new secrets when they changed.</summary>
    public Runtime For(UpstreamProfile profile)
    {
        if (_runtimes.TryGetValue(profile.Id, out var r) && SameEndpoint(r.Profile, profile))
        {
            if (r.Profile.SecretVersion != profile.SecretVersion) r.Tokens.SetSecrets(Secrets(profile));
            r.Profile = profile;
            return r;
        }
        var fresh = Build(profile);
        _runtimes[profile.Id] = fresh;
        return fresh;
    }

    /// <summary>Forgets a removed profile.</summary>
    public void Forget(string profileId) => _runtimes.TryRemove(profileId, out _);

    /// <summary>The profile's secrets, current first (the previous one stays until a rotation deleted it upstream).</summary>
    public List<string> Secrets(UpstreamProfile p)
    {
        var purpose = KeysAtRest.UpstreamSecretPurpose(p.Id);
        var list = new List<string> { Encoding.UTF8.GetString(kek.UnwrapText(p.SecretWrapped, purpose)) };
        if (p.PreviousSecretWrapped is { } previous) list.Add(Encoding.UTF8.GetString(kek.UnwrapText(previous, purpose)));
        return list;
    }

    /// <summary>Wraps a secret for <see cref="UpstreamProfile.SecretWrapped"/>.</summary>
    public string Wrap(string profileId, string secret) => kek.WrapText(Encoding.UTF8.GetBytes(secret), KeysAtRest.UpstreamSecretPurpose(profileId));

    /// <summary>Client options for a profile and the given secrets (also used to prove a new secret and to rotate).</summary>
    public KilnClientOptions OptionsFor(UpstreamProfile p, IEnumerable<string> secrets)
    {
        var o = new KilnClientOptions
        {
            ImsBaseUrl = new Uri(p.ImsBaseUrl), FireflyBaseUrl = new Uri(p.FireflyBaseUrl), ConsoleBaseUrl = new Uri(p.ConsoleBaseUrl),
            ClientId = p.ClientId, Scopes = p.Scopes, FailureBackoff = TimeSpan.FromMilliseconds(500), MaxFailureBackoff = TimeSpan.FromSeconds(10),
        };
        foreach (var s in secrets) o.ClientSecrets.Add(s);
        return o;
    }

    /// <summary>A token provider for a profile (its own cache; the caller disposes it); its mints are measured as <c>token</c> calls.</summary>
    public ServerToServerTokenProvider Provider(UpstreamProfile p, KilnClientOptions o) =>
        new(Plain(p.Name, UpstreamMeter.Token), o, logs.CreateLogger<ServerToServerTokenProvider>());

    /// <summary>
    /// An HTTP client that authenticates with <paramref name="tokens"/> (for Firefly, or the Console API with its scopes),
    /// measured as <paramref name="call"/>.
    /// </summary>
    public HttpClient Authenticated(UpstreamProfile p, ServerToServerTokenProvider tokens, KilnClientOptions o, string call) =>
        new(new KilnAuthHandler(tokens, o) { InnerHandler = Meter(p.Name, call) }, disposeHandler: false) { Timeout = options.Value.RequestTimeout };

    private Runtime Build(UpstreamProfile p)
    {
        var o = OptionsFor(p, Secrets(p));
        var tokens = Provider(p, o);
        return new Runtime(p, tokens, Authenticated(p, tokens, o, UpstreamMeter.Firefly), o);
    }

    private static bool SameEndpoint(UpstreamProfile a, UpstreamProfile b) =>
        a.ImsBaseUrl == b.ImsBaseUrl && a.FireflyBaseUrl == b.FireflyBaseUrl && a.ClientId == b.ClientId && a.Scopes == b.Scopes;

    public void Dispose()
    {
        foreach (var r in _runtimes.Values) r.Tokens.Dispose();
        _handler.Dispose();
    }
}
