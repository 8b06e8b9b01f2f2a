using System.Net;
using Kiln.Server.Tests.SignIn;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>Wrong passwords on one node count on the other: the sign-in limit holds for the cluster, not per node.</summary>
public sealed class MultiNodeLoginThrottleTests() : TwoNodeTests("login")
{
    [Fact]
    public async Task Failures_on_node_A_throttle_sign_in_on_node_B()
    {
        var a = await StartNodeAsync(DirA, ("Kiln__Web__MaxLoginFailures", "3"));
        var b = await StartNodeAsync(DirB, ("Kiln__Web__MaxLoginFailures", "3"));
        var password = (await File.ReadAllTextAsync(Path.Combine(DirA, "admin-password"))).Trim();
        using var onA = new LoginForm(new Uri(a.BaseUrl));
        using var onB = new LoginForm(new Uri(b.BaseUrl));

        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, await onA.SignInAsync("admin@kiln.local", "wrong"));

        // The failures reach B through the cluster notifier (LISTEN/NOTIFY) within a second; B has seen no failure itself,
        // yet its very first attempt, with the right password, is refused.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.TooManyRequests, await onB.SignInAsync("admin@kiln.local", password));
    }
}
