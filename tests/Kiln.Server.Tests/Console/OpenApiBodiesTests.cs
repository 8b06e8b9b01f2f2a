using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>Console request bodies are typed: the OpenAPI document shows their schemas, and they are still read the same way.</summary>
public sealed class OpenApiBodiesTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Theory]
    [InlineData("/console/organizations/{orgId}/projects", "post", "name")]
    [InlineData("/console/organizations/{orgId}/projects/{projectId}", "patch", "notifications_enabled")]
    [InlineData("/console/organizations/{orgId}/projects/{projectId}/workspaces", "post", "name")]
    [InlineData("/console/organizations/{orgId}/credentials/oauth-server-to-server", "post", "services")]
    [InlineData("/console/organizations/{orgId}/members", "post", "email")]
    [InlineData("/console/organizations/{orgId}/members/{userId}", "patch", "role")]
    [InlineData("/console/organizations/{orgId}/credentials/oauth-server-to-server/{credentialId}/service/subscribe", "patch", "sdkCode")]
    public async Task The_document_shows_the_body_schema(string path, string method, string property)
    {
        _kiln.Start();
        var doc = await HttpAssert.JsonAsync(await _kiln.Http().GetAsync("/openapi/v1.json"), 200);
        var op = doc.GetProperty("paths").GetProperty(path).GetProperty(method);
        var schema = Resolve(doc, op.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(schema.GetProperty("properties").TryGetProperty(property, out _), schema.ToString());
        if (op.TryGetProperty("parameters", out var parameters))
            Assert.DoesNotContain(parameters.EnumerateArray(), p => p.GetProperty("in").GetString() is not ("path" or "query" or "header"));
    }

    [Fact]
    public async Task A_json_body_sent_with_another_content_type_is_still_read()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        using var content = new StringContent("""{"name":"plainbody","title":"t","type":"default"}""", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        await HttpAssert.JsonAsync(await http.PostAsync($"/console/organizations/{demo.OrgId}/projects", content), 201);
    }

    private static JsonElement Resolve(JsonElement doc, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var r)) return schema;
        var name = r.GetString()!.Split('/')[^1];
        return doc.GetProperty("components").GetProperty("schemas").GetProperty(name);
    }
}
