using System.CommandLine;
using System.Net;
using Kiln.Cli.Trust;
using Kiln.Server.Core;
using Kiln.Server.Hosting.Tls;
using Microsoft.Extensions.Options;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln trust</c>: the one command that changes the machine (docs/adobe-hosts.md#kiln-trust). It installs the
/// installation's CA into the OS trust store and adds a marked block to the hosts file that maps the CA's host names
/// to Kiln. Every precondition (the CA, the hosts file, the rights) is checked before the first change.
/// </summary>
public static class TrustCommand
{
    public static Command Create()
    {
        var ca = new Option<string?>("--ca") { Description = "The CA certificate (PEM) to trust; default <--data>/tls/kiln-ca.pem" };
        var address = new Option<string>("--address") { Description = "Address the Adobe host names map to (a shared Kiln)", DefaultValueFactory = _ => "127.0.0.1" };
        var status = new Option<bool>("--status") { Description = "Say what is in place; change nothing" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print every change (files with their content, commands) without making any" };
        var undo = new Option<bool>("--undo") { Description = "Remove exactly what kiln trust added" };
        var cmd = new Command("trust", "Trust Kiln's CA and map Adobe's host names to Kiln on this machine (needs root)")
        {
            ServeCommand.Data, ServeCommand.Database, ca, address, status, dryRun, undo,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var pem = parse.GetValue(ca) ?? KilnCa.PemPath(parse.GetValue(ServeCommand.Data)!);
            if (parse.GetValue(ca) is null && !File.Exists(pem))
            {
                // No PEM yet (Kiln never ran with --adobe-hosts here): the installation's CA, made now if there is none.
                try
                {
                    await using var sp = AdminCommand.Services(parse);
                    pem = await KilnCa.EnsurePemFileAsync(sp, ct);
                }
                catch (Exception e) when (e is KeyEncryptionException or DataDirectoryException or OptionsValidationException or KilnCaException)
                {
                    return Fail(e.Message);
                }
            }
            var trusted = TrustedCa.Load(pem, out var caError);
            if (trusted is null) return Fail(caError!);
            if (!IPAddress.TryParse(parse.GetValue(address), out var ip)) return Fail($"--address '{parse.GetValue(address)}' is not an IP address.", 2);
            var store = TrustStore.ForThisMachine();
            var hosts = HostsFile.ForThisMachine();
            if (parse.GetValue(status)) return Status(trusted, store, hosts);
            return Change(trusted, store, hosts, ip.ToString(), parse.GetValue(undo), parse.GetValue(dryRun));
        });
        return cmd;
    }

    private static int Status(TrustedCa ca, TrustStore store, HostsFile hosts)
    {
        Console.WriteLine($"Kiln CA sha256:{ca.Sha256} ({ca.Certificate.Subject}) from {ca.PemPath}");
        Console.WriteLine($"  permits: {string.Join(", ", ca.HostNames)}");
        if (store.Unavailable is { } why) Console.WriteLine($"Trust store: {why}");
        else
        {
            store.IsInstalled(ca, out var detail);
            Console.WriteLine($"Trust store ({store.Name}): {detail}");
        }
        var blocks = HostsText.Find(hosts.ReadText(), out var error);
        if (error is not null) Console.WriteLine($"Hosts file {hosts.FilePath}: {error}");
        else if (blocks.FirstOrDefault(b => b.Sha256 == ca.Sha256) is { } mine)
            Console.WriteLine($"Hosts file {hosts.FilePath}: block present at line {mine.FirstLine}, maps {mine.Entries.Count} names to {string.Join(", ", mine.Entries.Select(e => e.Address).Distinct())}");
        else Console.WriteLine($"Hosts file {hosts.FilePath}: no block for this CA");
        foreach (var other in blocks.Where(b => b.Sha256 != ca.Sha256))
            Console.WriteLine($"Hosts file {hosts.FilePath}: a block of another Kiln CA (sha256:{other.Sha256}) at line {other.FirstLine}");
        return 0;
    }

    private static int Change(TrustedCa ca, TrustStore store, HostsFile hosts, string address, bool undo, bool dryRun)
    {
        // 1. Work out every change and check every precondition; nothing is changed until all pass.
        if (!undo && store.Unavailable is { } unavailable) return Fail("nothing changed: " + unavailable);
        var text = hosts.ReadText();
        var blocks = HostsText.Find(text, out var hostsError);
        if (hostsError is not null) return Fail($"nothing changed: {hosts.FilePath}: {hostsError}");
        var storeSteps = (undo ? store.Remove(ca) : store.Install(ca)).ToList();
        HostsStep? hostsStep;
        if (undo) hostsStep = RemoveBlocks(hosts, text, blocks.Where(b => b.Sha256 == ca.Sha256).ToList());
        else
        {
            if (blocks.FirstOrDefault(b => b.Sha256 != ca.Sha256) is { } other)
                return Fail($"nothing changed: {hosts.FilePath} has a block of another Kiln CA (sha256:{other.Sha256}) at line {other.FirstLine}: run `kiln trust --undo` for that installation first.");
            var lines = HostsText.BlockLines(ca, address, "CA " + Printable(ca.PemPath));
            var updated = HostsText.Put(text, lines, blocks.FirstOrDefault(b => b.Sha256 == ca.Sha256));
            hostsStep = updated == text ? null
                : new HostsStep(hosts, updated, "add these lines:\n" + WriteFileStep.Indent(string.Join('\n', lines)));
        }
        var steps = new List<TrustStep>(storeSteps);
        if (hostsStep is not null) steps.Add(hostsStep);
        var missing = new List<string>();
        if (storeSteps.Count > 0 && store.MissingRight() is { } storeRight) missing.Add(storeRight);
        if (hostsStep is not null && hosts.MissingRight() is { } hostsRight) missing.Add(hostsRight);

        if (dryRun)
        {
            Console.WriteLine(steps.Count == 0 ? "Dry run: nothing to change." : $"Dry run: {(undo ? "kiln trust --undo" : "kiln trust")} would make {steps.Count} change(s):");
            foreach (var (step, i) in steps.Select((s, i) => (s, i + 1))) Console.WriteLine($"{i}. {step.Describe()}");
            foreach (var m in missing) Console.WriteLine($"Missing right: {m}");
            return 0;
        }
        if (missing.Count > 0) return Fail("nothing changed: " + string.Join("; ", missing));
        if (steps.Count == 0)
        {
            Console.WriteLine(undo ? "Nothing to undo: no trace of this CA in the trust store or the hosts file." : "Already in place: nothing to change.");
            if (!undo) foreach (var line in RuntimeSettings.Lines(ca, store)) Console.WriteLine(line);
            return 0;
        }

        // 2. Apply, in order; a failure names what was already done (kiln trust --undo removes it).
        var done = new List<string>();
        foreach (var step in steps)
        {
            try { step.Apply(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
            {
                return Fail($"{e.Message}\n  done before it: {(done.Count == 0 ? "nothing" : string.Join("; ", done))}"
                    + (done.Count == 0 || undo ? "" : "\n  `kiln trust --undo` removes what was done."));
            }
            done.Add(FirstLine(step.Describe()));
            Console.WriteLine("done: " + FirstLine(step.Describe()));
        }
        if (undo) Console.WriteLine("Removed: the CA from the trust store and the Kiln block from the hosts file.");
        else
        {
            Console.WriteLine($"Trusted: {ca.HostNames.Count} host names now reach {address} with certificates from this CA.");
            foreach (var line in RuntimeSettings.Lines(ca, store)) Console.WriteLine(line);
        }
        return 0;
    }

    private static HostsStep? RemoveBlocks(HostsFile hosts, string text, List<HostsBlock> mine)
    {
        if (mine.Count == 0) return null;
        var updated = text;
        foreach (var b in mine.OrderByDescending(b => b.Start)) updated = HostsText.Remove(updated, b);
        return new HostsStep(hosts, updated, $"remove the Kiln block at line {mine[0].FirstLine} ({mine[0].Entries.Count + 2} lines), nothing else");
    }

    private static string Printable(string s) => new([.. s.Select(c => c is >= ' ' and <= '~' ? c : '?')]);
    private static string FirstLine(string s) => s.Split('\n')[0];

    private static int Fail(string message, int code = 1)
    {
        Console.Error.WriteLine("kiln trust: " + message);
        return code;
    }
}
