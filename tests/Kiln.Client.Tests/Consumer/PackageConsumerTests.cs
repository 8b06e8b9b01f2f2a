using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Reflection.Metadata;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Client.Tests.Consumer;

/// <summary>
/// The package as a customer gets it (docs/client.md#package): <c>dotnet pack</c> of the built Kiln.Client into a local feed,
/// a net8.0 console app whose Program.cs is the package README's example, restored from that feed, published
/// self-contained with the .NET 8 runtime pack, and run as a process against a real Kiln.
/// </summary>
public sealed partial class PackageConsumerTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly string _work = Directory.CreateTempSubdirectory("kiln-consumer-").FullName;

    public void Dispose()
    {
        _kiln.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_packed_package_on_net8_runs_the_README_example_against_a_real_Kiln()
    {
        var demo = _kiln.Start();
        var repo = RepoRoot();
        var version = "0.1.0-consumer." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        var feed = Path.Combine(_work, "feed");
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

        // 1. Pack what the solution build produced (both target frameworks), under a version of its own. A filtered build of
        //    this test project alone builds only the net10.0 library (the one it references), so net8.0 is built when missing.
        if (!File.Exists(Path.Combine(repo, "src/Kiln.Client/bin", configuration, "net8.0/Kiln.Client.dll")))
            await RunAsync("dotnet", ["build", Path.Combine(repo, "src/Kiln.Client/Kiln.Client.csproj"), "-c", configuration, "-f", "net8.0", "--nologo", "-v", "q"], repo);
        await RunAsync("dotnet", ["pack", Path.Combine(repo, "src/Kiln.Client/Kiln.Client.csproj"), "-c", configuration, "--no-build", "--nologo",
            "-o", feed, $"-p:Version={version}"], repo);
        var nupkg = Path.Combine(feed, $"Kiln.Client.{version}.nupkg");
        var commit = await GitAsync(repo, "rev-parse", "HEAD") ?? throw new InvalidOperationException("the repository is not a git clone");
        var origin = await GitAsync(repo, "remote", "get-url", "origin"); // null: no origin remote
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("lib/net8.0/Kiln.Client.dll", names);
            Assert.Contains("lib/net10.0/Kiln.Client.dll", names);
            Assert.Contains("lib/net8.0/Kiln.Client.xml", names);
            Assert.Contains("lib/net10.0/Kiln.Client.xml", names);
            Assert.Contains("README.md", names);
            Assert.Contains("Copyright (c) 2026 The Kiln authors", await EntryText(zip, "LICENSE"));
            var metadata = await NuspecMetadata(zip);
            var ns = metadata.Name.Namespace;
            var license = metadata.Element(ns + "license");
            Assert.Equal(("expression", "MIT"), ((string?)license?.Attribute("type"), license?.Value));
            Assert.Equal("README.md", (string?)metadata.Element(ns + "readme"));
            var repository = metadata.Element(ns + "repository") ?? throw new InvalidOperationException("no <repository> in the nuspec");
            Assert.Equal("git", (string?)repository.Attribute("type"));
            Assert.Equal(commit, (string?)repository.Attribute("commit")); // Source Link: the commit the package was built from
            // The URL comes from the clone's origin remote (Source Link) when that is a URL; a clone without one, or
            // cloned from a local path (as CI's is), names none.
            if (origin is null || !IsRemoteUrl(origin)) Assert.Null(repository.Attribute("url"));
            else Assert.False(string.IsNullOrEmpty((string?)repository.Attribute("url")), "origin is " + origin + " but the nuspec names no repository URL");
            // ContinuousIntegrationBuild: the PDB path recorded in the DLL is mapped too.
            using var dll = new MemoryStream();
            await using (var d = zip.GetEntry("lib/net8.0/Kiln.Client.dll")!.Open()) await d.CopyToAsync(dll);
            dll.Position = 0;
            using var pe = new System.Reflection.PortableExecutable.PEReader(dll);
            var codeView = pe.ReadDebugDirectory().Single(e => e.Type == System.Reflection.PortableExecutable.DebugDirectoryEntryType.CodeView);
            Assert.StartsWith("/_/", pe.ReadCodeViewDebugDirectoryData(codeView).Path);
        }
        // -p:RepositoryUrl=... names the repository where the clone has no origin remote (docs/client.md#package).
        var named = Path.Combine(_work, "named");
        await RunAsync("dotnet", ["pack", Path.Combine(repo, "src/Kiln.Client/Kiln.Client.csproj"), "-c", configuration, "--no-build", "--nologo",
            "-o", named, $"-p:Version={version}", "-p:RepositoryUrl=https://git.example.test/kiln.git"], repo);
        using (var zip = ZipFile.OpenRead(Path.Combine(named, $"Kiln.Client.{version}.nupkg")))
        {
            var metadata = await NuspecMetadata(zip);
            var repository = metadata.Element(metadata.Name.Namespace + "repository")!;
            Assert.Equal(("git", "https://git.example.test/kiln.git", commit),
                ((string?)repository.Attribute("type"), (string?)repository.Attribute("url"), (string?)repository.Attribute("commit")));
        }
        var snupkg = Path.Combine(feed, $"Kiln.Client.{version}.snupkg");
        using (var symbols = ZipFile.OpenRead(snupkg))
        {
            var pdb = symbols.GetEntry("lib/net8.0/Kiln.Client.pdb") ?? throw new InvalidOperationException("no net8.0 pdb in the symbol package");
            using var s = new MemoryStream();
            await using (var p = pdb.Open()) await p.CopyToAsync(s);
            s.Position = 0;
            using var pdbReader = MetadataReaderProvider.FromPortablePdbStream(s);
            var md = pdbReader.GetMetadataReader();
            var documents = md.Documents.Select(d => md.GetString(md.GetDocument(d).Name)).ToList();
            Assert.NotEmpty(documents);
            Assert.All(documents, d => Assert.StartsWith("/_/", d)); // ContinuousIntegrationBuild: no machine's path
        }

        // 2. A net8.0 app outside the repository: the README's example as Program.cs, the local feed beside NuGet's.
        var app = Path.Combine(_work, "app");
        Directory.CreateDirectory(app);
        File.Copy(Path.Combine(SourceDir(), "App", "ConsumerApp.csproj"), Path.Combine(app, "ConsumerApp.csproj"));
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ReadmeExample(Path.Combine(repo, "src/Kiln.Client/README.md")));
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"),
            $"""<?xml version="1.0" encoding="utf-8"?><configuration><packageSources><add key="kiln-local" value="{feed}" /></packageSources></configuration>""");
        var publish = Path.Combine(_work, "publish");
        await RunAsync("dotnet", ["publish", "ConsumerApp.csproj", "-c", "Release", "--nologo", $"-p:KilnClientVersion={version}", "-o", publish], app);
        Assert.True(File.Exists(Path.Combine(publish, "System.Private.CoreLib.dll")), "self-contained: the .NET 8 runtime is in the output");
        var runtimeConfig = await File.ReadAllTextAsync(Path.Combine(publish, "ConsumerApp.runtimeconfig.json"));
        Assert.Contains("\"tfm\": \"net8.0\"", runtimeConfig);

        // 3. Run it against the real Kiln, in a directory of its own.
        var run = Path.Combine(_work, "run");
        Directory.CreateDirectory(run);
        var env = new Dictionary<string, string>
        {
            ["KILN_BASE_URL"] = _kiln.BaseAddress.ToString(),
            ["FIREFLY_SERVICES_CLIENT_ID"] = demo.ClientId,
            ["FIREFLY_SERVICES_CLIENT_SECRET"] = demo.ClientSecret,
        };
        var output = await RunAsync(Path.Combine(publish, "ConsumerApp"), [], run, env);
        Assert.Contains("saved cat.jpg", output);
        Assert.Contains(": Succeeded 100%", output); // progress, in order, ending with the terminal status
        FireflyKit.AssertJpeg(await File.ReadAllBytesAsync(Path.Combine(run, "cat.jpg")), 1024, 1024);

        // A wrong secret: the example's KilnApiException branch, with IMS's status and error code.
        env["FIREFLY_SERVICES_CLIENT_SECRET"] = "wrong";
        var failed = await RunAsync(Path.Combine(publish, "ConsumerApp"), [], run, env, expectExit: 1);
        Assert.Matches(@"40[01] invalid_client", failed);
    }

    /// <summary>git's output, or null when it fails.</summary>
    private static async Task<string?> GitAsync(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var text = (await stdout).Trim();
        return p.ExitCode == 0 && text.Length > 0 ? text : null;
    }

    private static async Task<string> EntryText(ZipArchive zip, string name)
    {
        using var reader = new StreamReader((zip.GetEntry(name) ?? throw new InvalidOperationException(name + " is not in the package")).Open());
        return await reader.ReadToEndAsync();
    }

    private static async Task<XElement> NuspecMetadata(ZipArchive zip)
    {
        var spec = XDocument.Parse(await EntryText(zip, "Kiln.Client.nuspec"));
        return spec.Root!.Element(spec.Root.Name.Namespace + "metadata") ?? throw new InvalidOperationException("no <metadata> in the nuspec");
    }

    /// <summary>The first C# block of the README, which must be a complete Program.cs.</summary>
    internal static string ReadmeExample(string readme)
    {
        var m = CSharpBlock().Match(File.ReadAllText(readme));
        Assert.True(m.Success, "no ```csharp block in " + readme);
        return m.Groups[1].Value;
    }

    [GeneratedRegex(@"```csharp\r?\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    private static async Task<string> RunAsync(string file, string[] args, string dir, IDictionary<string, string>? env = null, int expectExit = 0)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("MSBuildExtensionsPath"); // the test host's MSBuild settings are not the child's
        psi.Environment.Remove("MSBUILD_EXE_PATH");
        psi.Environment.Remove("MSBuildSDKsPath");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(cts.Token);
        var all = await stdout + "\n" + await stderr;
        Assert.True(p.ExitCode == expectExit, $"{file} {string.Join(' ', args)}: exit {p.ExitCode}\n{all}");
        return all;
    }

    private static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kiln.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Kiln.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>An origin Source Link can name: a URL (https, ssh, git) or git's scp-like <c>user@host:path</c>, not a local path.</summary>
    private static bool IsRemoteUrl(string origin) =>
        origin.Contains("://", StringComparison.Ordinal) && !origin.StartsWith("file://", StringComparison.Ordinal)
        || System.Text.RegularExpressions.Regex.IsMatch(origin, @"^[^/@\s]+@[^/:\s]+:");
}
