using System.Net;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>The secret limit holds across two nodes sharing PostgreSQL: adds and downloads with a new secret race on both.</summary>
public sealed class TwoNodeSecretLimitTests() : TwoNodeTests("secrets")
{
    [Fact]
    public async Task Adds_and_downloads_on_two_nodes_stop_at_the_limit()
    {
        var a = await StartNodeAsync(DirA);
        var b = await StartNodeAsync(DirB);
        var demo = await NodeKit.DemoAsync(DirA);
        var token = await NodeKit.TokenAsync(a, demo.ClientId, demo.ClientSecret, KilnFactory.IoScopes);
        using var onA = NodeKit.Authed(a, token, demo.ClientId);
        using var onB = NodeKit.Authed(b, token, demo.ClientId);
        var secrets = $"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets";
        var download = $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces/{demo.WorkspaceId}/download?with_new_secret=true";

        // Mostly downloads (the path that had no lock), and one REST add per node.
        var statuses = await Race.AllAsync(12, i => i switch
        {
            0 => onA.PostAsync(secrets, null),
            1 => onB.PostAsync(secrets, null),
            _ => i % 2 == 0 ? onA.GetAsync(download) : onB.GetAsync(download),
        });
        Assert.Equal(1, statuses.Count(s => s is 200 or 201));
        Assert.Equal(11, statuses.Count(HttpStatusCode.Conflict));
        Assert.Equal(2, (await Race.SecretsAsync(onB, demo.OrgId, demo.CredentialId)).Count);
    }
}
