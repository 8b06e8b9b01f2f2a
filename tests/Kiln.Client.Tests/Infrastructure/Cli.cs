using System.Diagnostics;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Client.Tests.Infrastructure;

public sealed record CliResult(int Code, string Out, string Err)
{
    public override string ToString() => $"exit {Code}\nstdout: {Out}\nstderr: {Err}";
}

/// <summary>Runs <c>dotnet kiln.dll ...</c> as a process with a private config home and no inherited Firefly variables.</summary>
public sealed class Cli : IDisposable
{
    public string ConfigHome { get; } = Directory.CreateTempSubdirectory("kiln-cli-").FullName;
    public Dictionary<string, string?> Env { get; } = new();

    public async Task<CliResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(KilnProcess.KilnDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var k in new[] { "FIREFLY_SERVICES_CLIENT_ID", "FIREFLY_SERVICES_CLIENT_SECRET", "FIREFLY_SERVICES_ACCESS_TOKEN", "KILN_BASE_URL", "KILN_PROFILE", "KILN_ORG_ID", "KILN_CREDENTIAL_ID" })
            psi.Environment.Remove(k);
        psi.Environment["XDG_CONFIG_HOME"] = ConfigHome;
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await p.WaitForExitAsync(cts.Token);
        return new CliResult(p.ExitCode, await stdout, await stderr);
    }

    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public string ProfilePath(string name = "default") => Path.Combine(ConfigHome, "kiln", name + ".json");

    public void Dispose() => Directory.Delete(ConfigHome, recursive: true);
}
