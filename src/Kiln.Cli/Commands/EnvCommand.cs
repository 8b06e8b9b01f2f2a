using System.CommandLine;
using Kiln.Server.Core;
using Kiln.Server.Hosting.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln env</c>: the <c>export</c> lines that send one POSIX shell's HTTPS clients to Kiln's proxy and make them trust
/// Kiln's CA, with no change to the machine (docs/adobe-hosts.md#kiln-env). Use as <c>eval "$(kiln env)"</c>.
/// </summary>
public static class EnvCommand
{
    public static Command Create()
    {
        var proxyPort = new Option<int?>("--proxy-port") { Description = $"The port `kiln serve --proxy-port` listens on (default {AdobeHosts.DefaultProxyPort})" };
        var cmd = new Command("env", "Print the shell exports for Kiln's proxy mode: HTTPS_PROXY, NO_PROXY and the CA files (eval \"$(kiln env)\")")
        {
            ServeCommand.Data, ServeCommand.Database, proxyPort,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var port = parse.GetValue(proxyPort) ?? AdobeHosts.DefaultProxyPort;
            if (port is < 1 or > 65535)
            {
                System.Console.Error.WriteLine($"error: --proxy-port must be 1 to 65535, not {port}.");
                return 2;
            }
            try
            {
                await using var sp = AdminCommand.Services(parse);
                var pem = await KilnCa.EnsurePemFileAsync(sp, ct);
                var bundle = await KilnCa.WriteBundleAsync(sp.GetRequiredService<IOptions<KilnOptions>>().Value.FullDataDir, pem, ct);
                foreach (var (name, value) in Exports(port, pem, bundle)) System.Console.WriteLine($"export {name}={Quote(value)}");
                return 0;
            }
            catch (Exception e) when (e is KeyEncryptionException or DataDirectoryException or OptionsValidationException or KilnCaException)
            {
                System.Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        });
        return cmd;
    }

    /// <summary>The variables, in the order printed. Lower-case twins too: curl and Python prefer them when both are set.</summary>
    public static IReadOnlyList<(string Name, string Value)> Exports(int proxyPort, string pemPath, string bundlePath)
    {
        var proxy = $"http://127.0.0.1:{proxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        const string noProxy = "localhost,127.0.0.1,::1";
        return
        [
            ("HTTPS_PROXY", proxy), ("https_proxy", proxy),
            ("NO_PROXY", noProxy), ("no_proxy", noProxy),
            ("NODE_USE_ENV_PROXY", "1"),
            ("NODE_EXTRA_CA_CERTS", pemPath),
            ("REQUESTS_CA_BUNDLE", bundlePath),
            ("SSL_CERT_FILE", bundlePath),
        ];
    }

    /// <summary>One POSIX shell word: single quotes, with each quote written as '\''.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
