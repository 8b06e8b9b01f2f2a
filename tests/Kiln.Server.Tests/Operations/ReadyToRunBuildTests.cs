using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Tests.ScaleOut;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// The framework-dependent Release build in <c>src/Kiln.Cli/bin/Release</c> (docs/benchmarks.md#start-up): kiln and the
/// libraries it ships are ReadyToRun images there, compiled from this build's code, and that build serves the seed's
/// token request and a generate. The suite runs after <c>dotnet build -c Release</c> (test.sh), which makes them.
/// </summary>
public sealed class ReadyToRunBuildTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-r2r-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        TestDatabase.Drop(_dir);
    }

    private static string Cli => Path.Combine(ReleaseBuild.RepoRoot(), "src", "Kiln.Cli");
    private static string Bin => Path.Combine(Cli, "bin", "Release", "net10.0", "linux-x64");

    private static (bool ReadyToRun, Guid Mvid) Inspect(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var mvid = pe.GetMetadataReader().GetGuid(pe.GetMetadataReader().GetModuleDefinition().Mvid);
        return (pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, mvid);
    }

    [Theory]
    [InlineData("kiln.dll")]
    [InlineData("Kiln.Server.dll")]
    [InlineData("Microsoft.EntityFrameworkCore.dll")]
    [InlineData("Microsoft.EntityFrameworkCore.Relational.dll")]
    [InlineData("Npgsql.dll")]
    [InlineData("Microsoft.IdentityModel.JsonWebTokens.dll")]
    public void The_release_bin_holds_ReadyToRun_images_of_this_builds_assemblies(string name)
    {
        var built = Inspect(Path.Combine(Bin, name));
        // The IL of the same build: kiln's as its compiler wrote it, the others as this suite loads them.
        var il = Inspect(name == "kiln.dll" ? Path.Combine(Cli, "obj", "Release", "net10.0", "linux-x64", name) : Path.Combine(AppContext.BaseDirectory, name));
        Assert.True(built.ReadyToRun, $"{name} in {Bin} is IL only");
        Assert.False(il.ReadyToRun, $"{name}: the IL it was compiled from is expected");
        Assert.Equal(il.Mvid, built.Mvid); // the same compilation: not an image left over from an earlier build
    }

    [Fact]
    public async Task The_release_build_serves_the_seeds_token_request_and_a_generate()
    {
        await using var node = await KilnProcess.StartAsync(_dir, kilnDll: Path.Combine(Bin, "kiln.dll"));
        var demo = await NodeKit.DemoAsync(_dir);
        using var http = NodeKit.Authed(node, await NodeKit.TokenAsync(node, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes), demo.ClientId);
        using var res = await http.PostRawAsync("/v3/images/generate", """{"prompt":"x","seeds":[7],"size":{"width":1024,"height":1024}}""");
        var url = (await HttpAssert.JsonAsync(res, 200)).GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        FireflyKit.AssertJpeg(await FireflyKit.DownloadAsync(url), 1024, 1024);
    }
}
