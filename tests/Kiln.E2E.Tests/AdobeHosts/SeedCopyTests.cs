namespace Kiln.E2E.Tests.AdobeHosts;

/// <summary>The committed copy of the seed's curl commands (used where the seed is not on the machine) is the seed's.</summary>
public sealed class SeedCopyTests
{
    [Fact]
    public void The_committed_copy_holds_the_seeds_commands()
    {
        var copy = SeedCommands.FromCopy();
        Assert.Equal(6, copy.Count);
        Assert.Contains(copy, c => c.StartsWith("curl --location 'https://ims-na1.adobelogin.com/ims/token/v3'", StringComparison.Ordinal));
        if (SeedCommands.SeedDir is { } dir) Assert.Equal(SeedCommands.FromSeed(dir), copy);
    }
}
