using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;
using Kiln.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace Kiln.E2E.Tests.AdobeHosts;

/// <summary>
/// Adobe's Firefly SDK, unpatched, through Kiln A acting as a Firefly gateway (docs/upstream.md#what-is-forwarded).
/// In one <see cref="PrivateMachine"/> with its own network: Kiln B (<c>kiln serve</c> on http://127.0.0.1:5001, its
/// engine slowed a little so a job can be canceled mid-flight) plays the upstream; Kiln A runs with
/// <c>--adobe-hosts --https-port 443</c> and <c>kiln trust</c> maps Adobe's names to it; A's demo org runs on the engine
/// upstream:b (the profile is written into A's database from outside while the script waits, as an operator's tool
/// would: adding it over REST needs an org admin's user token). Then tests/clients/firefly-gateway.js runs every
/// operation through A. The SDK 2.0.1 has no methods for the async operations, job status or cancel: the runner calls
/// those with plain HTTP (Node's fetch and the SDK's token provider) at the same Adobe host.
/// </summary>
public sealed class GatewaySdkFixture : IAsyncLifetime
{
    public PrivateMachine Machine { get; private set; } = null!;
    public ShellResult Run { get; private set; } = null!;
    public IReadOnlyDictionary<string, string> Sections { get; private set; } = new Dictionary<string, string>();
    /// <summary>The runner's RESULT lines, by operation.</summary>
    public IReadOnlyDictionary<string, JsonElement> Results { get; private set; } = new Dictionary<string, JsonElement>();

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Path.Combine(AdobeClientsFixture.ClientsDir, "node_modules", "@adobe", "firefly-apis", "package.json")),
            "tests/clients/node_modules is missing: run `npm ci` in tests/clients (test.sh does).");
        Machine = await PrivateMachine.CreateAsync();
        var run = Machine.RunAsync(Script(Machine.Root), network: true, timeout: TimeSpan.FromMinutes(5));
        var up = Path.Combine(Machine.Root, "up");
        while (!File.Exists(up) && !run.IsCompleted) await Task.Delay(100);
        if (File.Exists(up))
        {
            await ConfigureAsync(Path.Combine(Machine.Root, "a"), Path.Combine(Machine.Root, "b"));
            await File.WriteAllTextAsync(Path.Combine(Machine.Root, "configured"), "");
        }
        Run = await run;
        Sections = AdobeClientsFixture.Split(Run.Stdout);
        Results = Run.Stdout.Split('\n').Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l["RESULT ".Length..]).RootElement.Clone())
            .ToDictionary(r => r.GetProperty("op").GetString()!);
    }

    public Task DisposeAsync()
    {
        Machine.Dispose();
        return Task.CompletedTask;
    }

    private static string Script(string r)
    {
        var log = LogCapture.Dir is { } dir ? Path.Combine(Directory.CreateDirectory(dir).FullName, $"kiln-serve-gateway-{Guid.NewGuid():N}.log") : $"{r}/a.log";
        var deps = Path.Combine(AppContext.BaseDirectory, "Kiln.TestSupport.deps.json");
        return $$"""
            export HOME='{{r}}/home' DOTNET_CLI_TELEMETRY_OPTOUT=1
            mkdir -p "$HOME"
            A='{{r}}/a' B='{{r}}/b'
            {{SlowGenerator.DelayVariable}}=200 ASPNETCORE_HOSTINGSTARTUPASSEMBLIES=Kiln.TestSupport DOTNET_ADDITIONAL_DEPS='{{deps}}' \
              dotnet '{{KilnProcess.KilnDll}}' serve --data "$B" --urls http://127.0.0.1:5001 >'{{r}}/b.log' 2>&1 &
            BPID=$!
            Logging__Console__LogToStandardErrorThreshold=Trace Kiln__Upstream__StatusPollInterval=00:00:00.200 Kiln__Upstream__MaxStatusPollInterval=00:00:00.500 \
              dotnet '{{KilnProcess.KilnDll}}' serve --data "$A" --urls http://127.0.0.1:5000 --adobe-hosts --https-port 443 >'{{r}}/a.stdout' 2>'{{log}}' &
            APID=$!
            trap 'kill $APID $BPID 2>/dev/null; wait $APID $BPID 2>/dev/null' EXIT
            for port in 5000 5001; do
              for _ in $(seq 1 900); do curl -sf -o /dev/null -w '' http://127.0.0.1:$port/health/ready 2>/dev/null && break; sleep 0.1; done
              curl -sf -o /dev/null -w '' http://127.0.0.1:$port/health/ready || { echo "kiln on $port did not start"; tail -50 '{{log}}' '{{r}}/b.log'; exit 30; }
            done
            touch '{{r}}/up'
            for _ in $(seq 1 600); do [ -f '{{r}}/configured' ] && break; sleep 0.1; done
            [ -f '{{r}}/configured' ] || { echo "A's upstream profile was not configured"; exit 32; }
            kiln trust --data "$A" >'{{r}}/trust.out' || { cat '{{r}}/trust.out'; exit 31; }
            eval "$(grep -o 'export NODE_EXTRA_CA_CERTS=[^ ]*' '{{r}}/trust.out')"
            cd '{{AdobeClientsFixture.ClientsDir}}'
            field() { node -e 'console.log(JSON.stringify(require(process.argv[1])))' "$1/demo-credential.json" > '{{r}}/demo.json'; node json-field.js '{{r}}/demo.json' "$2"; }
            export CLIENT_ID=$(field "$A" client_id) CLIENT_SECRET=$(field "$A" client_secret)
            export B_URL=http://127.0.0.1:5001 B_CLIENT_ID=$(field "$B" client_id) B_CLIENT_SECRET=$(field "$B" client_secret) B_ORG_ID=$(field "$B" org_id)
            export A_LOG='{{log}}'
            echo; echo "== gateway"; node firefly-gateway.js; echo "exit=$?"
            echo "== end"
            """;
    }

    /// <summary>Adds the profile "b" (B's demo credential, every base URL B's) to A's demo org and makes it the org's engine.</summary>
    private static async Task ConfigureAsync(string aDir, string bDir)
    {
        var a = (await Bootstrap.ReadFileAsync(aDir, default))!;
        var b = (await Bootstrap.ReadFileAsync(bDir, default))!;
        var orgId = long.Parse(a.OrgId, System.Globalization.CultureInfo.InvariantCulture);
        // The KEK that A reads: the environment's (the suite's PostgreSQL pass sets one), else the key file A created.
        var kekText = Environment.GetEnvironmentVariable(KeyEncryption.EnvironmentVariable) is { Length: > 0 } env ? env
            : File.ReadAllLines(Path.Combine(aDir, KeyEncryption.DefaultFileName)).First(l => l.Length > 0 && !l.StartsWith('#'));
        var kek = KeyEncryption.FromKeys(Convert.FromBase64String(kekText.Trim()));
        await using var db = new SqliteKilnDb(new DbContextOptionsBuilder<SqliteKilnDb>()
            .UseSqlite($"Data Source={Path.Combine(aDir, "kiln.db")};Foreign Keys=True;Default Timeout=30").Options);
        var id = Guid.NewGuid().ToString("N");
        const string bUrl = "http://127.0.0.1:5001";
        db.UpstreamProfiles.Add(new UpstreamProfile
        {
            Id = id, OrgId = orgId, Name = "b", ImsBaseUrl = bUrl, FireflyBaseUrl = bUrl, ConsoleBaseUrl = bUrl, ClientId = b.ClientId, Scopes = "firefly_api,ff_apis",
            SecretWrapped = kek.WrapText(System.Text.Encoding.UTF8.GetBytes(b.ClientSecret), KeysAtRest.UpstreamSecretPurpose(id)), SecretVersion = 1,
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        await db.Orgs.Where(o => o.Id == orgId).ExecuteUpdateAsync(u => u.SetProperty(o => o.Engine, "upstream:b"));
    }
}

public sealed class GatewaySdkTests(GatewaySdkFixture f) : IClassFixture<GatewaySdkFixture>
{
    private const string AdobeHost = "https://firefly-api.adobe.io/";

    private JsonElement Result(string op)
    {
        Assert.True(f.Results.TryGetValue(op, out var r), $"no result for '{op}' in the run:\n{f.Run}");
        return r;
    }

    [Fact]
    public void The_runner_finished_without_a_failure()
    {
        Assert.True(f.Sections.TryGetValue("gateway", out var text), f.Run.ToString());
        Assert.DoesNotContain("FAIL ", text, StringComparison.Ordinal);
        Assert.True(text.TrimEnd().EndsWith("exit=0", StringComparison.Ordinal), f.Run.ToString());
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("generate-similar")]
    [InlineData("expand")]
    [InlineData("fill")]
    [InlineData("generate-object-composite")]
    [InlineData("generate-async")]
    [InlineData("generate-similar-async")]
    [InlineData("expand-async")]
    [InlineData("fill-async")]
    [InlineData("generate-object-composite-async")]
    public void Each_operation_runs_once_on_B_and_A_serves_B_s_images_and_seeds_from_its_own_store(string op)
    {
        var r = Result(op);
        // B's usage counted exactly one request of this operation while A answered it: B rendered it, once.
        Assert.Equal(r.GetProperty("before").GetInt64() + 1, r.GetProperty("after").GetInt64());
        var a = r.GetProperty("a").EnumerateArray().ToList();
        var b = r.GetProperty("b").EnumerateArray().ToList();
        Assert.Equal(op is "generate" or "generate-async" ? 2 : 1, a.Count); // generate asks for two variations
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            // A's URL is at Adobe's host, which is A here (B is http://127.0.0.1:5001): the image was copied into A's
            // store and fetched from A. Its bytes are those B renders for the same request and seed.
            var url = a[i].GetProperty("url").GetString()!;
            Assert.StartsWith(AdobeHost, url, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", url, StringComparison.Ordinal);
            Assert.StartsWith("http://127.0.0.1:5001/", b[i].GetProperty("url").GetString()!, StringComparison.Ordinal);
            Assert.Equal(b[i].GetProperty("seed").GetInt32(), a[i].GetProperty("seed").GetInt32());
            Assert.Equal(b[i].GetProperty("sha").GetString(), a[i].GetProperty("sha").GetString());
        }
        if (op.EndsWith("-async", StringComparison.Ordinal))
            Assert.StartsWith(AdobeHost + "v3/status/", r.GetProperty("statusUrl").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public void Seeds_differ_between_variations_so_the_comparison_is_per_image()
    {
        var a = Result("generate").GetProperty("a").EnumerateArray().ToList();
        Assert.NotEqual(a[0].GetProperty("seed").GetInt32(), a[1].GetProperty("seed").GetInt32());
        Assert.NotEqual(a[0].GetProperty("sha").GetString(), a[1].GetProperty("sha").GetString());
    }

    [Fact]
    public void A_cancel_on_A_cancels_the_job_on_B()
    {
        var r = Result("cancel");
        Assert.StartsWith(AdobeHost + "v3/cancel/", r.GetProperty("cancelUrl").GetString()!, StringComparison.Ordinal);
        Assert.Equal("canceled", r.GetProperty("canceled").GetString());
        Assert.Equal("canceled", r.GetProperty("onA").GetString());
        Assert.Equal("canceled", r.GetProperty("onB").GetString());
    }
}
