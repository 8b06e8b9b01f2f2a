using System.Text.RegularExpressions;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.E2E.Tests.AdobeHosts;

/// <summary>
/// One private machine (<see cref="PrivateMachine"/>, with its own network namespace) where <c>kiln serve
/// --adobe-hosts --https-port 443</c> runs, <c>kiln trust</c> maps Adobe's names to it and trusts its CA, and the
/// real clients run with no patch of any kind, at Adobe's URLs: the Firefly SDK, aio-lib-ims, aio-lib-console (Node
/// 20), the seed's curl commands, Python requests and a .NET HttpClient (the <c>kiln</c> CLI's Kiln.Client with
/// Adobe's base URLs, which trusts what OpenSSL's system store trusts). Everything runs inside one script, so Kiln
/// and the clients share the namespace's loopback; the facts then read its sections.
/// </summary>
public sealed class AdobeClientsFixture : IAsyncLifetime
{
    public PrivateMachine Machine { get; private set; } = null!;
    public ShellResult Run { get; private set; } = null!;
    public IReadOnlyDictionary<string, string> Sections { get; private set; } = new Dictionary<string, string>();

    public static string ClientsDir
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !Directory.Exists(Path.Combine(dir, "tests", "clients"))) dir = Path.GetDirectoryName(dir);
            return Path.Combine(dir ?? throw new InvalidOperationException("tests/clients not found above " + AppContext.BaseDirectory), "tests", "clients");
        }
    }

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Path.Combine(ClientsDir, "node_modules", "@adobe", "firefly-apis", "package.json")),
            "tests/clients/node_modules is missing: run `npm ci` in tests/clients (test.sh does).");
        Machine = await PrivateMachine.CreateAsync();
        Run = await Machine.RunAsync(Script(Machine, trust: true), network: true, timeout: TimeSpan.FromMinutes(8));
        Sections = Split(Run.Stdout);
    }

    public Task DisposeAsync()
    {
        Machine.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Output sections: the lines after each "== name" line.</summary>
    public static IReadOnlyDictionary<string, string> Split(string stdout)
    {
        var sections = new Dictionary<string, string>();
        foreach (var part in stdout.Split("\n== ").Skip(1))
        {
            var nl = part.IndexOf('\n', StringComparison.Ordinal);
            sections[nl < 0 ? part.Trim() : part[..nl].Trim()] = nl < 0 ? "" : part[(nl + 1)..];
        }
        return sections;
    }

    /// <summary>
    /// The whole run. <paramref name="trust"/> false is the broken variant: Kiln runs, but nothing maps Adobe's names
    /// to it, so every client must fail.
    /// </summary>
    public static string Script(PrivateMachine m, bool trust)
    {
        var r = m.Root;
        var log = LogCapture.Dir is { } dir ? Path.Combine(Directory.CreateDirectory(dir).FullName, $"kiln-serve-adobehosts-{Guid.NewGuid():N}.log") : $"{r}/kiln.log";
        var seed = SeedCommands.Load();
        var placeholders = new Dictionary<string, string>
        {
            ["{orgId}"] = "ORG_ID", ["{credentialId}"] = "CREDENTIAL_ID", ["{uuid}"] = "SEED_UUID",
            ["{ACCESS_TOKEN}"] = "IO_TOKEN", ["{ACCESS TOKEN}"] = "IO_TOKEN", ["{CLIENT_ID}"] = "CLIENT_ID", ["{CLIENT ID}"] = "CLIENT_ID",
            ["{CLIENT_SECRET}"] = "CLIENT_SECRET",
        };
        string Seed(string start) => SeedCommands.WithVariables(seed.Single(c => c.StartsWith(start, StringComparison.Ordinal)), placeholders);
        return $$"""
            export HOME='{{r}}/home' CURL_HOME='{{r}}/curl' DOTNET_CLI_TELEMETRY_OPTOUT=1
            mkdir -p "$HOME" "$CURL_HOME"
            # The seed's curl commands stay verbatim; curl's config file adds the status line to each answer.
            printf 'silent\nshow-error\nwrite-out = "\\n%%{http_code}\\n"\n' > "$CURL_HOME/.curlrc"
            D='{{r}}/data'
            Logging__LogLevel__Default=Debug Logging__Console__LogToStandardErrorThreshold=Trace \
              dotnet '{{KilnProcess.KilnDll}}' serve --data "$D" --urls http://127.0.0.1:5000 --adobe-hosts --https-port 443 >'{{r}}/kiln.stdout' 2>'{{log}}' &
            KILN=$!
            trap 'kill $KILN 2>/dev/null; wait $KILN 2>/dev/null' EXIT
            for _ in $(seq 1 900); do curl -sf -o /dev/null -w '' http://127.0.0.1:5000/health/ready 2>/dev/null && break; kill -0 $KILN 2>/dev/null || break; sleep 0.1; done
            curl -sf -o /dev/null -w '' http://127.0.0.1:5000/health/ready || { echo "kiln did not start"; tail -50 '{{log}}'; exit 30; }
            {{(trust ? "kiln trust --data \"$D\" >'" + r + "/trust.out' || { cat '" + r + "/trust.out'; exit 31; }" : "# broken variant: no kiln trust")}}
            cd '{{ClientsDir}}'
            demo() { node -e 'console.log(JSON.stringify(require(process.argv[1])))' "$D/demo-credential.json" > '{{r}}/demo.json'; node json-field.js '{{r}}/demo.json' "$1"; }
            export ORG_ID=$(demo org_id) ORG_CODE=$(demo org_code) PROJECT_ID=$(demo project_id) WORKSPACE_ID=$(demo workspace_id)
            export CREDENTIAL_ID=$(demo credential_id) CLIENT_ID=$(demo client_id) CLIENT_SECRET=$(demo client_secret)
            # Node.js has its own trust store: the setting kiln trust printed (the broken variant: the CA file itself).
            {{(trust ? "eval \"$(grep -o 'export NODE_EXTRA_CA_CERTS=[^ ]*' '" + r + "/trust.out')\"" : "export NODE_EXTRA_CA_CERTS=\"$D/tls/kiln-ca.pem\"")}}
            echo "NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS"
            echo; echo "== node-firefly"; node firefly-sdk.js; echo "exit=$?"
            echo "== node-aio"; node aio.js; echo "exit=$?"
            echo "== python"; /usr/bin/python3 requests_client.py; echo "exit=$?"
            echo "== dotnet-token"; FIREFLY_SERVICES_CLIENT_ID=$CLIENT_ID FIREFLY_SERVICES_CLIENT_SECRET=$CLIENT_SECRET kiln token --json; echo "exit=$?"
            echo "== dotnet-generate"; FIREFLY_SERVICES_CLIENT_ID=$CLIENT_ID FIREFLY_SERVICES_CLIENT_SECRET=$CLIENT_SECRET kiln generate "a realistic illustration of a cat coding" -o '{{r}}/out' --size 1024x1024 --json; echo "exit=$?"
            echo "== dotnet-secrets"; FIREFLY_SERVICES_CLIENT_ID=$CLIENT_ID FIREFLY_SERVICES_CLIENT_SECRET=$CLIENT_SECRET kiln secrets list --org $ORG_ID --credential $CREDENTIAL_ID --json; echo "exit=$?"
            export FIREFLY_SERVICES_CLIENT_ID=$CLIENT_ID FIREFLY_SERVICES_CLIENT_SECRET=$CLIENT_SECRET
            echo "== seed-token"
            {{Seed("curl --location 'https://ims-na1.adobelogin.com/ims/token/v3'")}} > '{{r}}/token.json'
            rc=$?; cat '{{r}}/token.json'; echo "exit=$rc"
            export FIREFLY_SERVICES_ACCESS_TOKEN=$(node json-field.js '{{r}}/token.json' access_token)
            echo "== seed-generate"
            {{Seed("curl --location 'https://firefly-api.adobe.io/v3/images/generate'")}}
            echo "exit=$?"
            echo "== seed-token-verbatim"
            {{Seed("curl -X POST 'https://ims-na1.adobelogin.com/ims/token/v3'")}}
            echo "exit=$?"
            # The I/O Management token for the secrets calls (the seed's own request for it is cut short by a missing
            # line continuation, as the section above shows): the same URL and form, in one command.
            IO_TOKEN=$(curl -s -w '' -X POST 'https://ims-na1.adobelogin.com/ims/token/v3' -H 'Content-Type: application/x-www-form-urlencoded' \
              -d "client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET&grant_type=client_credentials&scope=AdobeID,openid,read_organizations,additional_info.projectedProductContext,additional_info.roles,adobeio_api,read_client_secret,manage_client_secrets" \
              | node json-field.js - access_token)
            echo "== seed-secrets-list"
            {{Seed("curl -X GET 'https://api.adobe.io/console/")}}
            echo "exit=$?"
            echo "== seed-secrets-add"
            {{Seed("curl -X POST 'https://api.adobe.io/console/")}} > '{{r}}/added.json'
            rc=$?; cat '{{r}}/added.json'; echo "exit=$rc"
            SEED_UUID=$(node json-field.js '{{r}}/added.json' uuid)
            echo "== seed-secrets-delete"
            {{Seed("curl -X DELETE 'https://api.adobe.io/console/")}}
            echo "exit=$?"
            echo "== seed-console-url"
            curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' "https://developer.adobe.com/console/projects/$ORG_ID/$PROJECT_ID/credentials/$CREDENTIAL_ID/details/oauthservertoserver"
            echo "exit=$?"
            echo "== end"
            """;
    }
}

public sealed class AdobeClientsTests(AdobeClientsFixture f) : IClassFixture<AdobeClientsFixture>
{
    private string Section(string name)
    {
        Assert.True(f.Sections.TryGetValue(name, out var text), $"no section '{name}' in the run:\n{f.Run}");
        return text;
    }

    private void AllOk(string name, params string[] ops)
    {
        var text = Section(name);
        Assert.True(text.TrimEnd().EndsWith("exit=0", StringComparison.Ordinal), $"{name}:\n{text}\n--- stderr\n{f.Run.Stderr}");
        foreach (var op in ops) Assert.Matches(new Regex($"^OK {Regex.Escape(op)} ", RegexOptions.Multiline), text);
        Assert.DoesNotContain("FAIL ", text, StringComparison.Ordinal);
    }

    /// <summary>A curl section: the HTTP status is the last line before "exit=0".</summary>
    private (int Status, string Body) Curl(string name)
    {
        var lines = Section(name).TrimEnd().Split('\n');
        Assert.True(lines[^1] == "exit=0", $"{name}:\n{string.Join('\n', lines)}");
        var statusLine = Array.FindLastIndex(lines, l => Regex.IsMatch(l, @"^\d{3}$"));
        Assert.True(statusLine >= 0, $"{name}: no status line:\n{string.Join('\n', lines)}");
        return (int.Parse(lines[statusLine], System.Globalization.CultureInfo.InvariantCulture), string.Join('\n', lines[..statusLine]));
    }

    [Fact]
    public void TheFireflySdkRunsEveryOperationUnpatched() =>
        AllOk("node-firefly", "generate", "upload", "similar", "expand", "fill", "object-composite",
            "generate-async", "generate-similar-async", "expand-async", "fill-async", "generate-object-composite-async");

    [Fact]
    public void AioLibImsAndAioLibConsoleWorkInTheirDefaultEnvironment()
    {
        AllOk("node-aio", "ims-token", "console-init", "getOrganizations", "getProjectsForOrg", "getWorkspacesForProject", "getCredentials");
        Assert.Contains("OK console-init prod", Section("node-aio"));
    }

    [Fact]
    public void PythonRequestsReachesKilnAtAdobesUrls() => AllOk("python", "generate", "secrets");

    [Fact]
    public void ADotNetHttpClientReachesKilnAtAdobesUrls()
    {
        foreach (var s in new[] { "dotnet-token", "dotnet-generate", "dotnet-secrets" })
            Assert.True(Section(s).TrimEnd().EndsWith("exit=0", StringComparison.Ordinal), $"{s}:\n{Section(s)}\n--- stderr\n{f.Run.Stderr}");
        Assert.Contains("\"access_token\"", Section("dotnet-token"));
        Assert.Contains("https://firefly-api.adobe.io/", Section("dotnet-generate"));
        Assert.Contains("client_secrets", Section("dotnet-secrets"));
    }

    [Fact]
    public void TheSeedsCurlCommandsWorkVerbatimAtAdobesUrls()
    {
        var token = Curl("seed-token");
        Assert.Equal(200, token.Status);
        Assert.Contains("\"access_token\"", token.Body);
        var generate = Curl("seed-generate");
        Assert.True(generate.Status == 200, generate.Body);
        Assert.Contains("\"url\":\"https://firefly-api.adobe.io/", generate.Body.Replace(" ", "", StringComparison.Ordinal));
        // Verbatim, the rotation guide's token request stops after its -H line (no backslash there), so it sends no
        // form: Kiln's IMS at Adobe's host answers that as IMS does, with an OAuth error.
        var verbatim = Curl("seed-token-verbatim");
        Assert.Equal(400, verbatim.Status);
        Assert.Contains("\"error\"", verbatim.Body);
        Assert.Equal(200, Curl("seed-secrets-list").Status);
        Assert.Equal(201, Curl("seed-secrets-add").Status);
        Assert.Equal(204, Curl("seed-secrets-delete").Status);
        Assert.Matches(@"^(200|302) ", Section("seed-console-url"));
    }
}

/// <summary>The broken variant: the same run without <c>kiln trust</c>; every client must fail, so the facts above can.</summary>
public sealed class AdobeClientsWithoutTrustTests
{
    [Fact]
    public async Task WithoutKilnTrustNoClientReachesKiln()
    {
        using var m = await PrivateMachine.CreateAsync();
        var run = await m.RunAsync(AdobeClientsFixture.Script(m, trust: false), network: true, timeout: TimeSpan.FromMinutes(5));
        var s = AdobeClientsFixture.Split(run.Stdout);
        Assert.True(s.ContainsKey("end"), run.ToString());
        Assert.Contains("FAIL generate", s["node-firefly"]);
        Assert.DoesNotContain("OK ", s["node-firefly"], StringComparison.Ordinal);
        Assert.Contains("FAIL ims-token", s["node-aio"]);
        Assert.Contains("FAIL generate", s["python"]);
        Assert.DoesNotContain("exit=0", s["dotnet-token"], StringComparison.Ordinal);
        Assert.Matches(@"exit=(6|7)\s*$", s["seed-generate"]); // curl: could not resolve / connect
    }
}
