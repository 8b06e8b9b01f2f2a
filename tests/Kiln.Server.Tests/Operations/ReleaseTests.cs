using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// tools/release.sh run once (docs/operations.md#release-artifacts): for linux-x64 only, and kept on disk for the rest of
/// the suite's run (the PostgreSQL pass reuses what the SQLite pass built; the key is this build of kiln).
/// </summary>
public sealed class ReleaseBuild
{
    public ReleaseBuild()
    {
        Root = RepoRoot();
        var key = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "kiln.dll"))
            .Concat(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Kiln.Server.dll"))).ToArray()))[..16];
        Dist = Path.Combine(Path.GetTempPath(), "kiln-release-" + key);
        Commit = Run("git", ["rev-parse", "HEAD"], Root).Trim();
        // Earlier builds' artifacts go (a few hundred MB each); this build's stay for the suite's second pass.
        foreach (var old in Directory.GetDirectories(Path.GetTempPath(), "kiln-release-*").Where(d => d != Dist && !d.Contains("-test-", StringComparison.Ordinal)))
            try { Directory.Delete(old, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        var stamp = Path.Combine(Dist, "SHA256SUMS");
        if (!File.Exists(stamp))
        {
            var sw = Stopwatch.StartNew();
            Run("bash", ["tools/release.sh", "--rids", "linux-x64", "--out", Dist], Root);
            BuildSeconds = sw.Elapsed.TotalSeconds;
        }
        Version = File.ReadAllLines(stamp).Select(l => l.Split("  ")[1]).Single(f => f.StartsWith("kiln-", StringComparison.Ordinal) && f.EndsWith("-linux-x64.tar.gz", StringComparison.Ordinal))
            ["kiln-".Length..^"-linux-x64.tar.gz".Length];
    }

    public string Root { get; }
    public string Dist { get; }
    public string Commit { get; }
    public string Version { get; }
    public double? BuildSeconds { get; }

    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Kiln.slnx"))) return d.FullName;
        throw new InvalidOperationException("Kiln.slnx not found");
    }

    public static string Run(string file, string[] args, string dir, IDictionary<string, string?>? env = null, int timeoutSeconds = 600)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} ran over {timeoutSeconds} s");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result + stderr.Result;
    }
}

/// <summary>
/// The release smoke test: the linux-x64 single file, unpacked in a temporary directory and run with no SDK on PATH,
/// serves the seed's token request and a generate and is live soon after start; <c>--version</c> names the version and
/// the commit. The tool package installs with <c>dotnet tool install</c> and <c>kiln --help</c> runs.
/// </summary>
public sealed class ReleaseTests(ReleaseBuild release, ITestOutputHelper output) : IClassFixture<ReleaseBuild>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-release-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>No dotnet anywhere: an empty PATH directory and no DOTNET_ROOT.</summary>
    private Dictionary<string, string?> NoSdk()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty-path")).FullName;
        return new() { ["PATH"] = empty, ["DOTNET_ROOT"] = null, ["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = Path.Combine(_dir, "extract"), ["HOME"] = _dir };
    }

    [Fact]
    public async Task The_single_file_binary_serves_the_seed_calls_without_an_sdk_and_says_its_version()
    {
        if (release.BuildSeconds is { } built) output.WriteLine($"tools/release.sh --rids linux-x64: {built:F0} s");
        ReleaseBuild.Run("tar", ["-xzf", Path.Combine(release.Dist, $"kiln-{release.Version}-linux-x64.tar.gz"), "-C", _dir], _dir);
        var binary = Path.Combine(_dir, $"kiln-{release.Version}-linux-x64", "kiln");
        Assert.True(File.Exists(binary));
        Assert.Equal($"kiln {release.Version} (commit {release.Commit})", ReleaseBuild.Run(binary, ["--version"], _dir, NoSdk()).Trim());

        var port = KilnProcess.FreePort();
        var psi = new ProcessStartInfo(binary) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "serve", "--urls", $"http://127.0.0.1:{port}", "--data", Path.Combine(_dir, "data") }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in NoSdk()) if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        psi.Environment.Remove("Kiln__Database");
        var log = new StringBuilder();
        var started = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            while (true)
            {
                Assert.False(p.HasExited, "kiln exited:\n" + log);
                Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), "not live after 60 s:\n" + log);
                try
                {
                    using var live = await http.GetAsync("/health/live");
                    if (live.IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) { }
                await Task.Delay(20);
            }
            var firstStart = started.Elapsed;
            output.WriteLine($"single file, first start (migrations, keys, demo org) live after {firstStart.TotalMilliseconds:F0} ms");
            // A first start creates the database, keys and demo org; the start-up budget is measured warm in bench/startup.sh.
            Assert.True(firstStart < TimeSpan.FromSeconds(20), $"first start took {firstStart}");

            var demo = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "data", "demo-credential.json"))).RootElement;
            using var tokenRes = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = demo.GetProperty("client_id").GetString()!,
                ["client_secret"] = demo.GetProperty("client_secret").GetString()!, ["scope"] = KilnFactory.FireflyScopes,
            }));
            var token = (await HttpAssert.JsonAsync(tokenRes, 200)).GetProperty("access_token").GetString()!;
            using var gen = new HttpRequestMessage(HttpMethod.Post, "/v3/images/generate")
            {
                Content = new StringContent("""{"prompt":"a realistic illustration of a cat coding","size":{"width":1024,"height":1024}}""", Encoding.UTF8, "application/json"),
            };
            gen.Headers.Add("x-api-key", demo.GetProperty("client_id").GetString()!);
            gen.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var genRes = await http.SendAsync(gen);
            var url = (await HttpAssert.JsonAsync(genRes, 200)).GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
            using var image = await http.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal("image/jpeg", image.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    [Fact]
    public void The_client_package_has_its_xml_docs_readme_symbols_and_commit()
    {
        var version = System.Xml.Linq.XDocument.Load(Path.Combine(release.Root, "src", "Kiln.Client", "Kiln.Client.csproj")).Descendants("Version").First().Value;
        using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(release.Dist, $"Kiln.Client.{version}.nupkg"));
        var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var tfm in new[] { "net8.0", "net10.0" })
        {
            Assert.Contains($"lib/{tfm}/Kiln.Client.dll", names);
            Assert.Contains($"lib/{tfm}/Kiln.Client.xml", names);
        }
        Assert.Contains("README.md", names);
        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var repository = System.Xml.Linq.XDocument.Parse(nuspec.ReadToEnd()).Descendants().Single(e => e.Name.LocalName == "repository");
        Assert.Equal(release.Commit, repository.Attribute("commit")?.Value); // Source Link's commit; no remote, so no url
        Assert.True(File.Exists(Path.Combine(release.Dist, $"Kiln.Client.{version}.snupkg")));
    }

    [Fact]
    public void The_tool_package_installs_and_kiln_help_runs()
    {
        var package = Path.Combine(release.Dist, $"kiln.{release.Version}.nupkg");
        Assert.True(File.Exists(package), "no tool package in " + release.Dist);
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
        {
            Assert.Contains("LICENSE", zip.Entries.Select(e => e.FullName));
            using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var license = System.Xml.Linq.XDocument.Parse(nuspec.ReadToEnd()).Descendants().Single(e => e.Name.LocalName == "license");
            Assert.Equal(("expression", "MIT"), (license.Attribute("type")?.Value, license.Value));
        }
        // Only the local folder as a source, so nothing of the same name elsewhere can be picked.
        var config = Path.Combine(_dir, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="release" value="{release.Dist}" /></packageSources></configuration>
            """);
        var tools = Path.Combine(_dir, "tools");
        var sw = Stopwatch.StartNew();
        ReleaseBuild.Run("dotnet", ["tool", "install", "kiln", "--tool-path", tools, "--configfile", config, "--version", release.Version], _dir,
            new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(_dir, "nuget") });
        output.WriteLine($"dotnet tool install: {sw.Elapsed.TotalSeconds:F1} s");
        var help = ReleaseBuild.Run(Path.Combine(tools, "kiln"), ["--help"], _dir);
        Assert.Contains("serve", help, StringComparison.Ordinal);
        Assert.Contains("generate", help, StringComparison.Ordinal);
        Assert.Equal($"kiln {release.Version} (commit {release.Commit})", ReleaseBuild.Run(Path.Combine(tools, "kiln"), ["--version"], _dir).Trim());
    }
}
