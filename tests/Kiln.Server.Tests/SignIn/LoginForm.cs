using System.Net;
using System.Text.RegularExpressions;

namespace Kiln.Server.Tests.SignIn;

/// <summary>The console's sign-in form driven over HTTP: one client, its anti-forgery cookie and token, no redirects followed.</summary>
public sealed partial class LoginForm : IDisposable
{
    private readonly HttpClient _http;
    private string? _token;

    public LoginForm(Uri baseAddress) =>
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2),
        };

    /// <summary>Posts the form; the status says what happened (302 signed in, 401 wrong password, 429 throttled).</summary>
    public async Task<HttpStatusCode> SignInAsync(string email, string password)
    {
        _token ??= AntiforgeryToken().Match(await _http.GetStringAsync("/console/login")).Groups[1].Value;
        using var form = new FormUrlEncodedContent([
            new("_handler", "login"), new("__RequestVerificationToken", _token), new("Input.Email", email), new("Input.Password", password)]);
        using var res = await _http.PostAsync("/console/login", form);
        return res.StatusCode;
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
