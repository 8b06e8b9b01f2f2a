using System.Text.Json;

namespace Kiln.Client.Tests.Cli;

/// <summary>Edge cases of the image and job commands a real Kiln cannot produce (stub Firefly); the real-server runs are in RealServer/CliRealServerTests.</summary>
public sealed class CliImageTests : IAsyncLifetime
{
    private readonly Infrastructure.Cli _cli = new();
    private FireflyStubServer _ff = null!;
    private readonly string _out = Directory.CreateTempSubdirectory("kiln-out-").FullName;

    public async Task InitializeAsync() => _ff = await FireflyStubServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _ff.DisposeAsync();
        _cli.Dispose();
        Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task Generate_waits_for_the_job_downloads_and_prints_the_file_paths()
    {
        var r = await _cli.RunAsync(["generate", "a realistic illustration of a cat coding", "-o", _out, "--size", "1024x1024", "--variations", "2", "--seed", "11", "--seed", "12", .. _ff.Flags]);
        Assert.True(r.Code == 0, r.ToString());
        var paths = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([Path.Combine(_out, "kiln-11-1.png"), Path.Combine(_out, "kiln-12-2.png")], paths);
        Assert.All(paths, p => Assert.Equal(FireflyStubServer.Png, File.ReadAllBytes(p)));
        Assert.Contains("running 50%", r.Err); // progress, as plain lines since output is redirected
        Assert.Contains(_ff.Requests, q => q.StartsWith("POST /v3/images/generate-async application/json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Generate_json_and_async_and_sync_modes()
    {
        var json = await _cli.RunAsync(["generate", "x", "-o", _out, "--json", .. _ff.Flags]);
        Assert.True(json.Code == 0, json.ToString());
        var doc = JsonDocument.Parse(json.Out).RootElement;
        Assert.StartsWith("urn:ff:jobs:", doc.GetProperty("jobId").GetString());
        Assert.Equal(2, doc.GetProperty("outputs").GetArrayLength());

        var submitted = await _cli.RunAsync(["generate", "x", "--async", .. _ff.Flags]);
        Assert.Equal(0, submitted.Code);
        var jobId = submitted.Out.Trim();
        Assert.StartsWith("urn:ff:jobs:stub:", jobId);

        var status = await _cli.RunAsync(["jobs", "status", jobId, "--json", .. _ff.Flags]);
        Assert.Equal("running", JsonDocument.Parse(status.Out).RootElement.GetProperty("status").GetString());
        var canceled = await _cli.RunAsync(["jobs", "cancel", jobId, "--json", .. _ff.Flags]);
        Assert.Equal("canceled", JsonDocument.Parse(canceled.Out).RootElement.GetProperty("status").GetString());

        var sync = await _cli.RunAsync(["generate", "x", "--sync", "-o", _out, .. _ff.Flags]);
        Assert.Equal(Path.Combine(_out, "kiln-7-1.png"), sync.Out.Trim());
    }

    [Fact]
    public async Task Input_files_are_uploaded_first()
    {
        var input = Path.Combine(_out, "in.png");
        await File.WriteAllBytesAsync(input, FireflyStubServer.Png);
        var r = await _cli.RunAsync(["expand", input, "--size", "2048x2048", "-o", _out, .. _ff.Flags]);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains("Uploaded", r.Err);
        Assert.Contains(_ff.Requests, q => q == "POST /v2/storage/image image/png");
        Assert.Contains(_ff.Requests, q => q.StartsWith("POST /v3/images/expand-async", StringComparison.Ordinal));

        var fill = await _cli.RunAsync(["fill", input, "--mask", input, "-o", _out, .. _ff.Flags]);
        Assert.True(fill.Code == 0, fill.ToString());
        Assert.Contains(_ff.Requests, q => q.StartsWith("POST /v3/images/fill-async", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Usage_errors_exit_2_and_api_errors_exit_1()
    {
        Assert.Equal(2, (await _cli.RunAsync(["generate", "x", "--size", "big", .. _ff.Flags])).Code);
        Assert.Equal(2, (await _cli.RunAsync(["similar", "/no/such/file.png", .. _ff.Flags])).Code);
        Assert.Equal(2, (await _cli.RunAsync(["fill", "x.png", .. _ff.Flags])).Code); // --mask is required
        Assert.Equal(2, (await _cli.RunAsync("generate")).Code);
        var auth = await _cli.RunAsync("generate", "x", "--base-url", _ff.BaseUrl, "--client-id", FireflyStubServer.ClientId, "--client-secret", "wrong");
        Assert.Equal(1, auth.Code);
        Assert.Equal("kiln: Authentication failed: invalid_client: invalid client_secret parameter", auth.Err.Trim());
    }
}
