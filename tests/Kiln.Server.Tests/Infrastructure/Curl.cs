using System.Diagnostics;
using System.Text.Json;

namespace Kiln.Server.Tests.Infrastructure;

/// <summary>Runs the real curl binary, so the seed's commands are exercised exactly as users paste them.</summary>
public static class Curl
{
    public sealed record Response(int Status, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
    }

    public static async Task<Response> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-s", "-w", "\n%{http_code}" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"curl failed ({p.ExitCode}): {await p.StandardError.ReadToEndAsync()}");
        var cut = stdout.LastIndexOf('\n');
        return new Response(int.Parse(stdout[(cut + 1)..]), stdout[..cut]);
    }
}
