using System.Net;
using System.Text.RegularExpressions;

namespace Kiln.E2E.Tests;

/// <summary>
/// A plain HTTP client for the console's HTML forms (no browser): keeps cookies, does not follow redirects,
/// and fills in the form name and anti-forgery token the way the page does.
/// </summary>
public sealed partial class UiClient : IDisposable
{
    public CookieContainer Cookies { get; } = new();
    public HttpClient Http { get; }
    public Uri BaseAddress { get; }

    public UiClient(Uri baseAddress)
    {
        BaseAddress = baseAddress;
        Http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<t>[^\"]+)\"")]
    private static partial Regex TokenField();

    public static string AntiforgeryToken(string html) =>
        TokenField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups["t"].Value) : throw new InvalidOperationException("no anti-forgery token on the page");

    public async Task<(HttpResponseMessage Response, string Html)> GetAsync(string path)
    {
        var res = await Http.GetAsync(path);
        return (res, await res.Content.ReadAsStringAsync());
    }

    /// <summary>Loads the page (for a fresh token), then posts the named form to it.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, string formName, bool withToken, params (string Name, string Value)[] fields)
    {
        var (_, html) = await GetAsync(path);
        var form = new List<KeyValuePair<string, string>> { new("_handler", formName) };
        if (withToken) form.Add(new("__RequestVerificationToken", AntiforgeryToken(html)));
        form.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        return await Http.PostAsync(path, new FormUrlEncodedContent(form));
    }

    public Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        PostFormAsync("/console/login", "login", true, ("Input.Email", email), ("Input.Password", password));

    public string? Cookie(string name) => Cookies.GetCookies(BaseAddress).FirstOrDefault(c => c.Name == name)?.Value
        ?? Cookies.GetCookies(new Uri(BaseAddress, "/console/")).FirstOrDefault(c => c.Name == name)?.Value;

    public void Dispose() => Http.Dispose();
}
