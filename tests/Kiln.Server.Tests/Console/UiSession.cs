using System.Net;
using System.Text.RegularExpressions;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// The console's HTML forms over plain HTTP (no browser): one signed-in session (cookie) and its anti-forgery token,
/// shared by concurrent form posts the way several tabs of one browser would send them. Redirects are not followed.
/// </summary>
public sealed partial class UiSession : IDisposable
{
    private readonly HttpClient _http;

    private UiSession(Uri baseAddress) =>
        _http = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
            { BaseAddress = baseAddress };

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<t>[^\"]+)\"")]
    private static partial Regex TokenField();

    /// <summary>Signs in with email and password (the login form) and returns the session.</summary>
    public static async Task<UiSession> SignInAsync(Uri baseAddress, string email, string password = "password-123")
    {
        var ui = new UiSession(baseAddress);
        var token = await ui.TokenAsync("/console/login");
        using var res = await ui.PostAsync("/console/login", "login", token, ("Input.Email", email), ("Input.Password", password));
        Assert.True(res.StatusCode == HttpStatusCode.Redirect, $"sign-in answered {(int)res.StatusCode}");
        return ui;
    }

    /// <summary>Loads a page and returns the anti-forgery token of its forms.</summary>
    public async Task<string> TokenAsync(string path)
    {
        var html = await _http.GetStringAsync(path);
        var m = TokenField().Match(html);
        Assert.True(m.Success, $"no anti-forgery token on {path}");
        return WebUtility.HtmlDecode(m.Groups["t"].Value);
    }

    /// <summary>The page's HTML (any status but a redirect).</summary>
    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    public Task<string> GetStringAsync(string path) => _http.GetStringAsync(path);

    /// <summary>Posts the named form of the page at <paramref name="path"/>.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string formName, string token, params (string Name, string Value)[] fields)
    {
        var form = new List<KeyValuePair<string, string>> { new("_handler", formName), new("__RequestVerificationToken", token) };
        form.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        return _http.PostAsync(path, new FormUrlEncodedContent(form));
    }

    public static string CredentialPage(string orgId, string projectId, string credentialId) =>
        $"/console/projects/{orgId}/{projectId}/credentials/{credentialId}/details/oauthservertoserver";

    public static string DeleteSecretPage(string orgId, string projectId, string credentialId, string uuid) =>
        $"/console/projects/{orgId}/{projectId}/credentials/{credentialId}/secrets/{uuid}/delete";

    public void Dispose() => _http.Dispose();
}
