using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Kiln.Server.Tests.Tls;

/// <summary>Clients that reach Kiln at Adobe's host names and trust Kiln's CA alone (docs/adobe-hosts.md).</summary>
public static partial class HostsKit
{
    public static X509Certificate2 LoadCa(string dataDir) => X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dataDir, "tls", "kiln-ca.pem")));

    /// <summary>Builds the chain of <paramref name="leaf"/> with <paramref name="ca"/> as the only trusted root; the flags of every element.</summary>
    public static (bool Valid, X509ChainStatusFlags Flags) Chain(X509Certificate2 leaf, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        var valid = chain.Build(leaf);
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (f, s) => f | s.Status);
        return (valid, flags);
    }

    /// <summary>A TLS callback that accepts only a certificate for the requested name that chains to <paramref name="ca"/>.</summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 ca) => (_, cert, _, errors) =>
        cert is not null && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
        && Chain(cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData()), ca).Valid;

    /// <summary>
    /// An HttpClient for URLs on Adobe's hosts at <paramref name="port"/> that connects to 127.0.0.1 instead (what a
    /// hosts-file mapping does) and trusts only Kiln's CA. Cookies on, redirects off.
    /// </summary>
    public static HttpClient AdobeClient(int port, X509Certificate2 ca) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (ctx, ct) =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
                return new NetworkStream(s, ownsSocket: true);
            }
            catch
            {
                s.Dispose();
                throw;
            }
        },
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TrustOnly(ca) },
        UseCookies = true,
        CookieContainer = new CookieContainer(),
        AllowAutoRedirect = false,
    }) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>An HttpClient that goes through Kiln's CONNECT proxy and trusts only Kiln's CA.</summary>
    public static HttpClient ProxyClient(int proxyPort, X509Certificate2 ca) => new(new SocketsHttpHandler
    {
        Proxy = new WebProxy($"http://127.0.0.1:{proxyPort}"),
        UseProxy = true,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TrustOnly(ca) },
    }) { Timeout = TimeSpan.FromSeconds(60) };

    [GeneratedRegex(@"^export ([A-Za-z_][A-Za-z0-9_]*)='((?:[^']|'\\'')*)'$")]
    private static partial Regex ExportLine();

    /// <summary>The variables of <c>kiln env</c>'s output; every line must be one export.</summary>
    public static Dictionary<string, string> ParseExports(string output)
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = ExportLine().Match(line.TrimEnd('\r'));
            Assert.True(m.Success, $"not an export line: {line}");
            vars[m.Groups[1].Value] = m.Groups[2].Value.Replace("'\\''", "'", StringComparison.Ordinal);
        }
        return vars;
    }

    /// <summary>Runs a program with exactly <paramref name="env"/> (plus a PATH), nothing inherited.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunCleanAsync(IReadOnlyDictionary<string, string> env, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    public static Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, params string[] args) =>
        RunCleanAsync(new Dictionary<string, string>(), file, args);
}
