using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace Kiln.Client;

/// <summary>
/// Adds <c>Authorization: Bearer</c> and <c>x-api-key</c> to every request, and retries once with a forced
/// renewal when the server answers 401 (a deleted secret, a revoked or expired token).
/// </summary>
public sealed class KilnAuthHandler : DelegatingHandler
{
    /// <summary>Per-request scopes: set <c>request.Options.Set(KilnAuthHandler.ScopesOption, "...")</c> to override the default.</summary>
    public static readonly HttpRequestOptionsKey<string> ScopesOption = new("Kiln.Scopes");

    /// <summary>Set to true on a request that must go out without credentials (pre-signed downloads on other hosts).</summary>
    public static readonly HttpRequestOptionsKey<bool> AnonymousOption = new("Kiln.Anonymous");

    private readonly ServerToServerTokenProvider _tokens;
    private readonly KilnClientOptions _options;

    /// <summary>Creates the handler.</summary>
    /// <param name="tokens">The token provider.</param>
    /// <param name="options">The client options (for the API key).</param>
    public KilnAuthHandler(ServerToServerTokenProvider tokens, IOptions<KilnClientOptions> options)
        : this(tokens, (options ?? throw new ArgumentNullException(nameof(options))).Value) { }

    /// <summary>Creates the handler.</summary>
    /// <param name="tokens">The token provider.</param>
    /// <param name="options">The client options (for the API key).</param>
    public KilnAuthHandler(ServerToServerTokenProvider tokens, KilnClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(options);
        _tokens = tokens;
        _options = options;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Options.TryGetValue(AnonymousOption, out var anonymous) && anonymous)
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        request.Options.TryGetValue(ScopesOption, out var scopes);
        var token = await _tokens.TryGetTokenAsync(scopes, cancellationToken).ConfigureAwait(false);
        Apply(request, token.EnsureSuccess());
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var renewed = await _tokens.TryRenewAsync(token.AccessToken, scopes, cancellationToken).ConfigureAwait(false);
        if (!renewed.IsSuccess || renewed.AccessToken == token.AccessToken) return response; // hand back the original 401
        response.Dispose();
        Apply(request, renewed.AccessToken!);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private void Apply(HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (!request.Headers.Contains("x-api-key") && _options.ClientId.Length > 0) request.Headers.Add("x-api-key", _options.ClientId);
    }
}
