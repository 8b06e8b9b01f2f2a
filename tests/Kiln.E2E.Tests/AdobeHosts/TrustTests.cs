using System.Text;

namespace Kiln.E2E.Tests.AdobeHosts;

/// <summary>
/// <c>kiln trust</c> on a machine's real paths (/etc/hosts, /usr/local/share/ca-certificates, /etc/ssl/certs and
/// Debian's update-ca-certificates), inside a private mount namespace over copies (<see cref="PrivateMachine"/>),
/// so the CI machine itself never changes; every test also checks that the real files did not change.
/// </summary>
public sealed class TrustTests
{
    private const string Begin = "# >>> kiln trust sha256:";
    private const string Operator = "images.intranet.example"; // a name an operator added to the CA

    private static (TestCa Ca, string Data) NewInstallation(PrivateMachine m, bool constrained = true)
    {
        var ca = TestCa.Create([.. TestCa.AdobeHosts, Operator], constrained);
        var data = Path.Combine(m.Root, "data");
        ca.WriteTo(data);
        File.WriteAllText(Path.Combine(data, "leaf.pem"), ca.LeafPem("firefly-api.adobe.io"));
        return (ca, data);
    }

    public static TheoryData<HostsSetup, string> Variants => new()
    {
        { HostsSetup.BindMountedFile, "machine" },
        { HostsSetup.BindMountedFile, "crlf-latin1-no-final-newline" },
        { HostsSetup.RegularFileInOverlay, "machine" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task TrustThenUndoTwiceLeavesTheHostsFileAndTrustStoreByteIdentical(HostsSetup setup, string hosts)
    {
        var real = PrivateMachine.RealMachine();
        byte[]? content = hosts == "machine" ? null
            : Encoding.Latin1.GetBytes("# hosts of a Windows-edited file\r\n127.0.0.1\tlocalhost\r\n10.0.0.1 intranet.example # caf\u00e9\r\n::1 ip6-localhost");
        // The overlay variant gives the file an unusual owner and mode, which the rename path must keep.
        using var m = await PrivateMachine.CreateAsync(setup, content, setup == HostsSetup.RegularFileInOverlay ? "65534:65534 640" : "");
        var (ca, data) = NewInstallation(m);
        using var _ = ca;
        var before = m.Snapshot();
        var ownerBefore = (await m.RunAsync("stat -c '%u:%g %a' /etc/hosts")).Stdout;

        for (var round = 1; round <= 2; round++)
        {
            var trust = await m.RunAsync($"""
                kiln trust --data '{data}' || exit 10
                echo "== again"
                kiln trust --data '{data}' || exit 11
                echo "== verify"
                openssl verify -CAfile /etc/ssl/certs/ca-certificates.crt '{data}/leaf.pem' || exit 12
                getent hosts firefly-api.adobe.io {Operator}
                stat -c '%u:%g %a' /etc/hosts
                """);
            Assert.True(trust.Code == 0, $"round {round}: {trust}");
            Assert.Contains("Trusted: 8 host names now reach 127.0.0.1", trust.Stdout);
            Assert.Contains($"  export NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/kiln-{ca.Sha256[..16]}.crt", trust.Stdout);
            Assert.Contains("  export REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt", trust.Stdout);
            Assert.Contains("  export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", trust.Stdout);
            Assert.Contains($"  keytool -importcert -noprompt -trustcacerts -cacerts -storepass changeit -alias kiln-{ca.Sha256[..16]} -file /usr/local/share/ca-certificates/kiln-{ca.Sha256[..16]}.crt", trust.Stdout);
            Assert.Contains("== again\nAlready in place: nothing to change.", trust.Stdout);
            Assert.Contains("leaf.pem: OK", trust.Stdout);
            Assert.Matches(@"127\.0\.0\.1\s+firefly-api\.adobe\.io", trust.Stdout);
            Assert.Matches(@"127\.0\.0\.1\s+images\.intranet\.example", trust.Stdout);
            Assert.EndsWith(ownerBefore, trust.Stdout);
            var text = Encoding.Latin1.GetString(File.ReadAllBytes(m.Hosts));
            Assert.Single(text.Split('\n'), l => l.StartsWith(Begin, StringComparison.Ordinal));
            Assert.NotEqual(before, m.Snapshot()); // it did change the copies

            var undo = await m.RunAsync($"""
                kiln trust --data '{data}' --undo || exit 20
                echo "== again"
                kiln trust --data '{data}' --undo || exit 21
                echo "== verify"
                openssl verify -CAfile /etc/ssl/certs/ca-certificates.crt '{data}/leaf.pem' && exit 22
                getent hosts firefly-api.adobe.io && exit 23
                exit 0
                """);
            Assert.True(undo.Code == 0, $"round {round}: {undo}");
            Assert.Contains("Removed: the CA from the trust store and the Kiln block from the hosts file.", undo.Stdout);
            Assert.Contains("== again\nNothing to undo", undo.Stdout);
            var after = m.Snapshot();
            Assert.True(before.SequenceEqual(after), $"round {round}: not byte-identical after undo:\n{PrivateMachine.Diff(before, after)}");
        }
        var realAfter = PrivateMachine.RealMachine();
        Assert.True(real.SequenceEqual(realAfter), "the real machine changed:\n" + PrivateMachine.Diff(real, realAfter));
    }

    [Fact]
    public async Task WithoutRightsItChangesNothingAndNamesTheMissingRights()
    {
        var real = PrivateMachine.RealMachine();
        using var m = await PrivateMachine.CreateAsync();
        var (ca, data) = NewInstallation(m);
        using var _ = ca;
        var before = m.Snapshot();

        var refused = await m.RunAsync($"as_nobody_kiln trust --data '{data}'");
        Assert.True(refused.Code == 1, refused.ToString());
        Assert.Contains("kiln trust: nothing changed: adding a file to /usr/local/share/ca-certificates and running update-ca-certificates needs root: run with sudo; writing /etc/hosts needs root: run with sudo", refused.Stderr);
        Assert.True(before.SequenceEqual(m.Snapshot()), PrivateMachine.Diff(before, m.Snapshot()));

        // Status and dry run need no rights; the dry run names what the real run would need.
        var look = await m.RunAsync($"as_nobody_kiln trust --data '{data}' --status && as_nobody_kiln trust --data '{data}' --dry-run");
        Assert.True(look.Code == 0, look.ToString());
        Assert.Contains("Hosts file /etc/hosts: no block for this CA", look.Stdout);
        Assert.Contains("Missing right: writing /etc/hosts needs root: run with sudo", look.Stdout);

        // Undo without rights, once trust is in place: refused too, and nothing removed.
        Assert.Equal(0, (await m.RunAsync($"kiln trust --data '{data}' >/dev/null")).Code);
        var trusted = m.Snapshot();
        var undo = await m.RunAsync($"as_nobody_kiln trust --data '{data}' --undo");
        Assert.True(undo.Code == 1, undo.ToString());
        Assert.Contains("needs root: run with sudo", undo.Stderr);
        Assert.True(trusted.SequenceEqual(m.Snapshot()), PrivateMachine.Diff(trusted, m.Snapshot()));
        Assert.Equal(0, (await m.RunAsync($"kiln trust --data '{data}' --undo >/dev/null")).Code);
        Assert.True(before.SequenceEqual(m.Snapshot()), PrivateMachine.Diff(before, m.Snapshot()));
        Assert.True(real.SequenceEqual(PrivateMachine.RealMachine()), "the real machine changed");
    }

    [Fact]
    public async Task DryRunPrintsEveryChangeAndMakesNone()
    {
        using var m = await PrivateMachine.CreateAsync();
        var (ca, data) = NewInstallation(m);
        using var _ = ca;
        var before = m.Snapshot();
        var dry = await m.RunAsync($"kiln trust --data '{data}' --dry-run");
        Assert.True(dry.Code == 0, dry.ToString());
        var id = ca.Sha256[..16];
        Assert.Contains($"1. write /usr/local/share/ca-certificates/kiln-{id}.crt (mode 0644):\n    -----BEGIN CERTIFICATE-----", dry.Stdout);
        Assert.Contains("    " + Convert.ToBase64String(ca.Certificate.RawData)[..64] + "\n", dry.Stdout);
        Assert.Contains("2. run /usr/sbin/update-ca-certificates --hooksdir /dev/null", dry.Stdout);
        Assert.Contains("3. write /etc/hosts (in place;", dry.Stdout);
        Assert.Contains($"    {Begin}{ca.Sha256} >>>", dry.Stdout);
        foreach (var host in TestCa.AdobeHosts.Append(Operator)) Assert.Contains($"    127.0.0.1 {host}\n", dry.Stdout);
        Assert.DoesNotContain("127.0.0.1 localhost\n    ", dry.Stdout);
        Assert.True(before.SequenceEqual(m.Snapshot()), PrivateMachine.Diff(before, m.Snapshot()));

        Assert.Equal(0, (await m.RunAsync($"kiln trust --data '{data}' >/dev/null")).Code);
        var trusted = m.Snapshot();
        var dryUndo = await m.RunAsync($"kiln trust --data '{data}' --undo --dry-run");
        Assert.Contains($"1. delete /usr/local/share/ca-certificates/kiln-{id}.crt", dryUndo.Stdout);
        Assert.Contains($"delete /etc/ssl/certs/kiln-{id}.pem", dryUndo.Stdout);
        Assert.Contains("run /usr/sbin/update-ca-certificates --hooksdir /dev/null", dryUndo.Stdout);
        Assert.Contains("remove the Kiln block at line", dryUndo.Stdout);
        Assert.True(trusted.SequenceEqual(m.Snapshot()), PrivateMachine.Diff(trusted, m.Snapshot()));
    }

    [Fact]
    public async Task StatusSaysWhatIsInPlaceAndAddressPointsTheNamesElsewhere()
    {
        using var m = await PrivateMachine.CreateAsync();
        var (ca, data) = NewInstallation(m);
        using var _ = ca;
        var r = await m.RunAsync($"""
            kiln trust --data '{data}' --status
            echo "== shared"
            kiln trust --data '{data}' --address 10.9.8.7 >/dev/null || exit 10
            kiln trust --data '{data}' --status
            getent hosts firefly-api.adobe.io
            echo "== local again"
            kiln trust --data '{data}' >/dev/null || exit 11
            kiln trust --data '{data}' --status
            getent hosts firefly-api.adobe.io
            echo "== undone"
            kiln trust --data '{data}' --undo >/dev/null || exit 12
            kiln trust --data '{data}' --status
            """);
        Assert.True(r.Code == 0, r.ToString());
        var parts = r.Stdout.Split("== ");
        Assert.Contains("Trust store (Debian/Ubuntu system trust store (/usr/local/share/ca-certificates, update-ca-certificates)): not installed", parts[0]);
        Assert.Contains("Hosts file /etc/hosts: no block for this CA", parts[0]);
        Assert.Contains($"permits: {string.Join(", ", TestCa.AdobeHosts)}, {Operator}\n", parts[0]);
        Assert.Contains($"installed: /usr/local/share/ca-certificates/kiln-{ca.Sha256[..16]}.crt, in /etc/ssl/certs/ca-certificates.crt", parts[1]);
        Assert.Contains("block present at line", parts[1]);
        Assert.Contains("maps 8 names to 10.9.8.7", parts[1]);
        Assert.Matches(@"10\.9\.8\.7\s+firefly-api\.adobe\.io", parts[1]);
        Assert.Contains("maps 8 names to 127.0.0.1", parts[2]);
        Assert.Matches(@"127\.0\.0\.1\s+firefly-api\.adobe\.io", parts[2]);
        Assert.Contains("not installed", parts[3]);
        Assert.Contains("no block for this CA", parts[3]);
        // Changing the address replaced the block where it was: still one block.
    }

    [Fact]
    public async Task ABrokenBlockIsNeverGuessedAt()
    {
        using var m = await PrivateMachine.CreateAsync();
        var (ca, data) = NewInstallation(m);
        using var _ = ca;
        Assert.Equal(0, (await m.RunAsync($"kiln trust --data '{data}' >/dev/null")).Code);
        // Someone deleted the end marker: neither undo nor trust may touch the file.
        var lines = File.ReadAllText(m.Hosts).Split('\n').Where(l => !l.StartsWith("# <<< kiln trust", StringComparison.Ordinal));
        File.WriteAllText(m.Hosts, string.Join('\n', lines));
        var broken = m.Snapshot();
        var r = await m.RunAsync($"kiln trust --data '{data}' --undo; echo \"exit=$?\"; kiln trust --data '{data}'; echo \"exit=$?\"");
        Assert.Contains("begins a Kiln block without its matching end line: fix the hosts file by hand first.", r.Stderr);
        Assert.Equal(2, r.Stdout.Split("exit=1").Length - 1);
        Assert.True(broken.SequenceEqual(m.Snapshot()), PrivateMachine.Diff(broken, m.Snapshot()));
    }

    [Fact]
    public async Task ACaWithoutNameConstraintsOrWithItsKeyIsRefused()
    {
        using var m = await PrivateMachine.CreateAsync();
        var (ca, data) = NewInstallation(m, constrained: false);
        using var _ = ca;
        var before = m.Snapshot();
        var r = await m.RunAsync($"kiln trust --data '{data}'");
        Assert.Equal(1, r.Code);
        Assert.Contains("has no critical Name Constraints", r.Stderr);
        File.AppendAllText(Path.Combine(data, "tls", "kiln-ca.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        r = await m.RunAsync($"kiln trust --data '{data}'");
        Assert.Equal(1, r.Code);
        Assert.Contains("contains a private key", r.Stderr);
        Assert.True(before.SequenceEqual(m.Snapshot()), PrivateMachine.Diff(before, m.Snapshot()));
    }
}
