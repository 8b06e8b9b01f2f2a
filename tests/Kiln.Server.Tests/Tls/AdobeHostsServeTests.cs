using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Server.Hosting.Tls;
using Kiln.Server.Tests.AtRest;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Tls;

/// <summary>One <c>kiln serve --adobe-hosts --proxy-port</c> process shared by <see cref="AdobeHostsServeTests"/>.</summary>
public sealed class AdobeHostsNode : IAsyncLifetime
{
    public const string ConfiguredPublicUrl = "http://kiln.internal.example:1234";
    public const string ExtraName = "kiln.build.internal";
    public string Dir { get; } = Directory.CreateTempSubdirectory("kiln-hosts-").FullName;
    public int HttpsPort { get; } = KilnProcess.FreePort();
    public int ProxyPort { get; } = KilnProcess.FreePort();
    public KilnProcess Kiln { get; private set; } = null!;
    public X509Certificate2 Ca { get; private set; } = null!;
    public JsonElement Demo => KeysKit.Demo(Dir);

    public async Task InitializeAsync()
    {
        Kiln = await KilnProcess.StartAsync(Dir, extraArgs:
        [
            "--adobe-hosts", "--https-port", HttpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--proxy-port", ProxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--public-url", ConfiguredPublicUrl, "--host-name", ExtraName,
        ]);
        Ca = HostsKit.LoadCa(Dir);
    }

    public async Task DisposeAsync()
    {
        await Kiln.DisposeAsync();
        TestDatabase.Drop(Dir);
        Directory.Delete(Dir, recursive: true);
    }
}

/// <summary>
/// docs/adobe-hosts.md: a real <c>kiln serve</c> answers at Adobe's host names over HTTPS (a leaf per SNI name, signed by
/// the installation's CA) and through its CONNECT proxy, and the URLs it returns work for the client that came in that way.
/// </summary>
public sealed partial class AdobeHostsServeTests(AdobeHostsNode node) : IClassFixture<AdobeHostsNode>
{
    private const string GenerateBody = """{"prompt":"a lighthouse at dusk","numVariations":1,"size":{"width":1024,"height":1024}}""";

    private string Https(string host) => $"https://{host}:{node.HttpsPort}";

    private static async Task<string> TokenAsync(HttpClient http, string tokenUrl, JsonElement demo)
    {
        using var res = await http.PostAsync(tokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = demo.GetProperty("client_id").GetString()!,
            ["client_secret"] = demo.GetProperty("client_secret").GetString()!, ["scope"] = KilnFactory.FireflyScopes,
        }));
        return (await HttpAssert.JsonAsync(res, 200)).GetProperty("access_token").GetString()!;
    }

    private static HttpRequestMessage Authed(HttpMethod method, string url, string token, JsonElement demo, string? json = null)
    {
        var req = new HttpRequestMessage(method, url);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Add("x-api-key", demo.GetProperty("client_id").GetString());
        if (json is not null) req.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return req;
    }

    /// <summary>Submits an async generate at <paramref name="origin"/>, follows its statusUrl and downloads the image; returns both URLs.</summary>
    private static async Task<(string StatusUrl, string ImageUrl)> GenerateAsyncAndFetchAsync(HttpClient http, string origin, string token, JsonElement demo)
    {
        using var submitted = await http.SendAsync(Authed(HttpMethod.Post, origin + "/v3/images/generate-async", token, demo, GenerateBody));
        var statusUrl = (await HttpAssert.JsonAsync(submitted, 202)).GetProperty("statusUrl").GetString()!;
        JsonElement status;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await Task.Delay(200);
            using var res = await http.SendAsync(Authed(HttpMethod.Get, statusUrl, token, demo));
            status = await HttpAssert.JsonAsync(res, 200);
        }
        while (status.GetProperty("status").GetString() is "pending" or "running" && DateTime.UtcNow < deadline);
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        var imageUrl = status.GetProperty("result").GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        using var image = await http.GetAsync(imageUrl);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/jpeg", image.Content.Headers.ContentType?.MediaType);
        return (statusUrl, imageUrl);
    }

    [Fact]
    public async Task Each_served_name_gets_its_own_leaf_from_the_CA_and_a_name_it_may_not_sign_gets_no_handshake()
    {
        var thumbprints = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in AdobeHosts.AdobeNames.Append("localhost").Append(AdobeHostsNode.ExtraName).Append("FIREFLY-API.ADOBE.IO"))
        {
            using var leaf = await HandshakeAsync(name, HostsKit.TrustOnly(node.Ca));
            Assert.True(leaf.MatchesHostname(name), $"{name}: leaf {leaf.Subject}");
            Assert.Equal(node.Ca.Subject, leaf.Issuer);
            Assert.True(HostsKit.Chain(leaf, node.Ca).Valid);
            thumbprints.Add(leaf.Thumbprint);
        }
        Assert.Equal(AdobeHosts.AdobeNames.Count + 2, thumbprints.Count); // one leaf per name; upper case is the same name

        // No SNI (a client that connects by address): the localhost leaf, which names the loopback addresses.
        using (var byAddress = await HandshakeAsync("127.0.0.1", HostsKit.TrustOnly(node.Ca)))
            Assert.True(byAddress.MatchesHostname("127.0.0.1"));

        // A name outside the CA's constraints: the server refuses the handshake (the client here would accept anything).
        foreach (var other in new[] { "example.com", "adobe.io", "evil.firefly-api.adobe.io.example.com" })
            await Assert.ThrowsAnyAsync<Exception>(async () => (await HandshakeAsync(other, (_, cert, _, _) => cert is not null)).Dispose());
        await Task.Delay(200);
        Assert.DoesNotContain("fail: Microsoft.AspNetCore.Server.Kestrel", node.Kiln.Output, StringComparison.Ordinal); // a refused name is not an error in the server's log
        Assert.DoesNotContain("Unhandled", node.Kiln.Output, StringComparison.Ordinal);
    }

    private async Task<X509Certificate2> HandshakeAsync(string targetHost, RemoteCertificateValidationCallback validate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, node.HttpsPort);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, validate);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = targetHost }, cts.Token);
        return X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate!.GetRawCertData());
    }

    [Fact]
    public async Task The_seed_token_request_a_generate_and_its_status_and_image_urls_work_at_Adobe_host_names()
    {
        var demo = node.Demo;
        using var http = HostsKit.AdobeClient(node.HttpsPort, node.Ca);
        var token = await TokenAsync(http, Https("ims-na1.adobelogin.com") + "/ims/token/v3", demo);

        var (statusUrl, imageUrl) = await GenerateAsyncAndFetchAsync(http, Https("firefly-api.adobe.io"), token, demo);
        Assert.StartsWith(Https("firefly-api.adobe.io") + "/v3/status/", statusUrl, StringComparison.Ordinal);
        Assert.StartsWith(Https("firefly-api.adobe.io") + "/", imageUrl, StringComparison.Ordinal);

        using var sync = await http.SendAsync(Authed(HttpMethod.Post, Https("firefly-api.adobe.io") + "/v3/images/generate", token, demo, GenerateBody));
        var syncUrl = (await HttpAssert.JsonAsync(sync, 200)).GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        Assert.StartsWith(Https("firefly-api.adobe.io") + "/", syncUrl, StringComparison.Ordinal);
        using (var image = await http.GetAsync(syncUrl)) Assert.Equal(HttpStatusCode.OK, image.StatusCode);

        // The plain listener keeps the configured public URL (docs/adobe-hosts.md#https-listener).
        using var plain = new HttpClient();
        using var submitted = await plain.SendAsync(Authed(HttpMethod.Post, node.Kiln.BaseUrl + "/v3/images/generate-async", token, demo, GenerateBody));
        Assert.StartsWith(AdobeHostsNode.ConfiguredPublicUrl + "/v3/status/", (await HttpAssert.JsonAsync(submitted, 202)).GetProperty("statusUrl").GetString(), StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<t>[^\"]+)\"")]
    private static partial Regex TokenField();

    [Fact]
    public async Task The_seed_console_url_on_developer_adobe_com_opens_the_credential_page_after_sign_in_over_https()
    {
        var demo = node.Demo;
        var origin = Https("developer.adobe.com");
        var page = $"{origin}/console/projects/{demo.GetProperty("org_id").GetString()}/{demo.GetProperty("project_id").GetString()}"
            + $"/credentials/{demo.GetProperty("credential_id").GetString()}/details/oauthservertoserver";
        using var browser = HostsKit.AdobeClient(node.HttpsPort, node.Ca);

        using (var before = await browser.GetAsync(page)) Assert.Equal(HttpStatusCode.Redirect, before.StatusCode); // to the sign-in page

        var form = WebUtility.HtmlDecode(TokenField().Match(await browser.GetStringAsync(origin + "/console/login")).Groups["t"].Value);
        Assert.NotEmpty(form);
        using var signIn = await browser.PostAsync(origin + "/console/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login", ["__RequestVerificationToken"] = form,
            ["Input.Email"] = "admin@kiln.local", ["Input.Password"] = KeysKit.AdminPassword(node.Dir),
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookies = signIn.Headers.GetValues("Set-Cookie").ToList();
        Assert.NotEmpty(cookies);
        Assert.All(cookies, c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
        var location = signIn.Headers.Location!;
        Assert.False(location.IsAbsoluteUri && location.Host != "developer.adobe.com", location.ToString());

        using var res = await browser.GetAsync(page);
        var html = await res.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Contains(demo.GetProperty("client_id").GetString()!, html, StringComparison.Ordinal);
    }

    /// <summary>Sends one request head to the proxy and returns the status of its answer.</summary>
    private async Task<int> ProxyStatusAsync(string head)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, node.ProxyPort);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var line = await reader.ReadLineAsync(cts.Token) ?? "";
        Assert.StartsWith("HTTP/1.1 ", line, StringComparison.Ordinal);
        return int.Parse(line.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_proxy_answers_403_to_every_other_destination_and_never_connects_to_it()
    {
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        var t = ((IPEndPoint)target.LocalEndpoint).Port;
        foreach (var head in new[]
        {
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
            $"CONNECT 127.0.0.1:{t} HTTP/1.1\r\nHost: 127.0.0.1:{t}\r\n\r\n",
            $"CONNECT localhost:{t} HTTP/1.1\r\nHost: localhost:{t}\r\n\r\n",
            $"CONNECT [::1]:{t} HTTP/1.1\r\n\r\n",
            $"CONNECT firefly-api.adobe.io:{t} HTTP/1.1\r\nHost: firefly-api.adobe.io:{t}\r\n\r\n",
            $"GET http://127.0.0.1:{t}/ HTTP/1.1\r\nHost: 127.0.0.1:{t}\r\n\r\n",
            "GET http://firefly-api.adobe.io/v3/images HTTP/1.1\r\nHost: firefly-api.adobe.io\r\n\r\n",
        })
            Assert.True(await ProxyStatusAsync(head) == 403, head);
        Assert.Equal(400, await ProxyStatusAsync("HELLO\r\n\r\n"));
        Assert.Equal(400, await ProxyStatusAsync("CONNECT firefly-api.adobe.io HTTP/1.1\r\n\r\n"));
        Assert.Equal(431, await ProxyStatusAsync("CONNECT firefly-api.adobe.io:443 HTTP/1.1\r\nX-Pad: " + new string('a', 9000) + "\r\n\r\n"));

        var accepted = target.AcceptTcpClientAsync();
        Assert.NotSame(accepted, await Task.WhenAny(accepted, Task.Delay(1000)));
        Assert.False(accepted.IsCompleted, "the proxy connected to the refused destination");

        // The one thing it does: a served name on 443.
        Assert.Equal(200, await ProxyStatusAsync("CONNECT firefly-api.adobe.io:443 HTTP/1.1\r\nHost: firefly-api.adobe.io:443\r\n\r\n"));
    }

    [Fact]
    public async Task Through_the_proxy_a_dotnet_HttpClient_reaches_Kiln_at_Adobe_urls_and_nothing_else()
    {
        var demo = node.Demo;
        using var http = HostsKit.ProxyClient(node.ProxyPort, node.Ca);
        var token = await TokenAsync(http, "https://ims-na1.adobelogin.com/ims/token/v3", demo);
        var (statusUrl, imageUrl) = await GenerateAsyncAndFetchAsync(http, "https://firefly-api.adobe.io", token, demo);
        Assert.StartsWith("https://firefly-api.adobe.io/v3/status/", statusUrl, StringComparison.Ordinal);
        Assert.StartsWith("https://firefly-api.adobe.io/", imageUrl, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("https://example.com/"));
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
    }

    /// <summary><c>kiln env</c> for this node's data directory and proxy port: stdout only, every line an export.</summary>
    private async Task<Dictionary<string, string>> KilnEnvAsync()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { KilnProcess.KilnDll, "env", "--data", node.Dir, "--proxy-port", node.ProxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture) }
                     .Concat(TestDatabase.CliArgs(node.Dir)))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, await stdout + await stderr);
        return HostsKit.ParseExports(await stdout);
    }

    [Fact]
    public async Task With_only_kiln_env_applied_curl_and_python_requests_reach_Kiln_at_Adobe_urls()
    {
        var env = await KilnEnvAsync();
        Assert.Equal($"http://127.0.0.1:{node.ProxyPort}", env["HTTPS_PROXY"]);
        Assert.Equal("1", env["NODE_USE_ENV_PROXY"]);
        Assert.Contains("127.0.0.1", env["NO_PROXY"], StringComparison.Ordinal);
        Assert.Equal(Path.Combine(node.Dir, "tls", "kiln-ca.pem"), env["NODE_EXTRA_CA_CERTS"]);
        Assert.Equal(node.Ca.ExportCertificatePem().Trim(), File.ReadAllText(env["NODE_EXTRA_CA_CERTS"]).Trim());
        Assert.Equal(env["REQUESTS_CA_BUNDLE"], env["SSL_CERT_FILE"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(node.Dir, "tls")));
        Assert.All(new[] { env["NODE_EXTRA_CA_CERTS"], env["SSL_CERT_FILE"] }, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        var bundle = File.ReadAllText(env["SSL_CERT_FILE"]);
        Assert.Contains(node.Ca.ExportCertificatePem().Trim(), bundle, StringComparison.Ordinal);
        if (File.Exists("/etc/ssl/certs/ca-certificates.crt"))
            Assert.StartsWith(File.ReadAllText("/etc/ssl/certs/ca-certificates.crt").Trim(), bundle, StringComparison.Ordinal);

        var demo = node.Demo;
        var (id, secret) = (demo.GetProperty("client_id").GetString()!, demo.GetProperty("client_secret").GetString()!);

        // curl: the seed's token request with Adobe's URL, then a sync generate.
        var curl = await HostsKit.RunCleanAsync(env, "curl", "-sS", "-w", "\n%{http_code}", "-X", "POST", "https://ims-na1.adobelogin.com/ims/token/v3",
            "-H", "Content-Type: application/x-www-form-urlencoded", "-d", $"grant_type=client_credentials&client_id={id}&client_secret={secret}&scope={KilnFactory.FireflyScopes}");
        Assert.True(curl.Code == 0 && curl.Stdout.EndsWith("\n200", StringComparison.Ordinal), curl.Stdout + curl.Stderr);
        var token = JsonDocument.Parse(curl.Stdout[..curl.Stdout.LastIndexOf('\n')]).RootElement.GetProperty("access_token").GetString()!;
        var generate = await HostsKit.RunCleanAsync(env, "curl", "-sS", "-w", "\n%{http_code}", "-X", "POST", "https://firefly-api.adobe.io/v3/images/generate",
            "-H", $"Authorization: Bearer {token}", "-H", $"x-api-key: {id}", "-H", "Content-Type: application/json", "-d", GenerateBody);
        Assert.True(generate.Code == 0 && generate.Stdout.EndsWith("\n200", StringComparison.Ordinal), generate.Stdout + generate.Stderr);
        Assert.Contains("\"https://firefly-api.adobe.io/", generate.Stdout, StringComparison.Ordinal);
        var elsewhere = await HostsKit.RunCleanAsync(env, "curl", "-sS", "-o", "/dev/null", "https://example.com/");
        Assert.NotEqual(0, elsewhere.Code);
        Assert.Contains("403", elsewhere.Stderr, StringComparison.Ordinal);

        // Python requests (Debian's python3-requests): token, async generate, its status URL and the image.
        const string script = """
            import json, sys, time, requests
            cid, secret, scopes, body = sys.argv[1:5]
            tok = requests.post("https://ims-na1.adobelogin.com/ims/token/v3", data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret, "scope": scopes}, timeout=30).json()["access_token"]
            h = {"Authorization": "Bearer " + tok, "x-api-key": cid}
            sub = requests.post("https://firefly-api.adobe.io/v3/images/generate-async", headers={**h, "Content-Type": "application/json"}, data=body, timeout=30)
            assert sub.status_code == 202, sub.text
            status_url = sub.json()["statusUrl"]
            for _ in range(300):
                st = requests.get(status_url, headers=h, timeout=30).json()
                if st["status"] not in ("pending", "running"): break
                time.sleep(0.2)
            url = st["result"]["outputs"][0]["image"]["url"]
            img = requests.get(url, timeout=30)
            refused = None
            try:
                requests.get("https://example.com/", timeout=10)
            except requests.exceptions.ProxyError as e:
                refused = "403" in str(e)
            print(json.dumps({"submit": sub.status_code, "statusUrl": status_url, "status": st["status"], "imageUrl": url, "image": img.status_code, "imageType": img.headers.get("content-type"), "refused": refused}))
            """;
        var py = await HostsKit.RunCleanAsync(env, "python3", "-c", script, id, secret, KilnFactory.FireflyScopes, GenerateBody);
        Assert.True(py.Code == 0, py.Stdout + py.Stderr);
        var r = JsonDocument.Parse(py.Stdout).RootElement;
        Assert.Equal(202, r.GetProperty("submit").GetInt32());
        Assert.StartsWith("https://firefly-api.adobe.io/v3/status/", r.GetProperty("statusUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal("succeeded", r.GetProperty("status").GetString());
        Assert.StartsWith("https://firefly-api.adobe.io/", r.GetProperty("imageUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, r.GetProperty("image").GetInt32());
        Assert.Equal("image/jpeg", r.GetProperty("imageType").GetString());
        Assert.True(r.GetProperty("refused").GetBoolean());
    }
}
