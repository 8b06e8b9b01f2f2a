using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Client.Tests.Cli;

/// <summary>
/// A tiny Firefly + IMS on 127.0.0.1 for running the image commands as a process before the Firefly feature is
/// merged. It checks the headers the CLI sends and serves a job that runs, then succeeds.
/// </summary>
public sealed class FireflyStubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<string> Requests { get; } = new();
    public string BaseUrl { get; }
    public const string ClientId = "0123456789abcdef0123456789abcdef";
    public static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];

    private FireflyStubServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FireflyStubServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FireflyStubServer? self = null;
        var polls = new ConcurrentDictionary<string, int>();
        bool Authed(HttpContext c) => c.Request.Headers.Authorization == "Bearer stub-token" && c.Request.Headers["x-api-key"] == ClientId;
        app.Use(async (c, next) => { self!.Requests.Enqueue($"{c.Request.Method} {c.Request.Path}{c.Request.QueryString} {c.Request.ContentType}"); await next(c); });
        var devicePolls = 0;
        app.MapPost("/ims/device/code", (HttpContext c) => c.Request.Form["client_id"] == "kiln-cli"
            ? Results.Json(new { device_code = "dev-1", user_code = "WXYZ-1234", verification_uri = self!.BaseUrl + "/device", expires_in = 60, interval = 1 })
            : Results.Json(new { error = "invalid_client", error_description = "invalid client_id parameter" }, statusCode: 400));
        app.MapPost("/ims/invalidate_token/v2", () => Results.Json(new { }));
        app.MapPost("/ims/token/v3", (HttpContext c) =>
            c.Request.Form["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
                ? Interlocked.Increment(ref devicePolls) < 2
                    ? Results.Json(new { error = "authorization_pending" }, statusCode: 400)
                    : Results.Json(new { access_token = "stub-user-token", token_type = "bearer", expires_in = 86399 })
            : c.Request.Form["client_secret"] == "stub-secret"
                ? Results.Json(new { access_token = "stub-token", token_type = "bearer", expires_in = 86399 })
                : Results.Json(new { error = "invalid_client", error_description = "invalid client_secret parameter" }, statusCode: 400));
        app.MapPost("/v2/storage/image", (HttpContext c) => Authed(c) ? Results.Json(new { images = new[] { new { id = "11111111-2222-4333-8444-555555555555" } } }) : Results.StatusCode(401));
        app.MapPost("/v3/images/{op}", (string op, HttpContext c) =>
        {
            if (!Authed(c)) return Results.Json(new { error_code = "401013", message = "Oauth token is not valid" }, statusCode: 401);
            var b = self!.BaseUrl;
            if (!op.EndsWith("-async", StringComparison.Ordinal))
                return Results.Json(new { size = new { width = 1024, height = 1024 }, outputs = new[] { new { seed = 7, image = new { url = $"{b}/out/7.png" } } } });
            var id = "urn:ff:jobs:stub:" + Guid.NewGuid().ToString("N");
            return Results.Json(new { jobId = id, statusUrl = $"{b}/v3/status/{id}", cancelUrl = $"{b}/v3/cancel/{id}" }, statusCode: 202);
        });
        app.MapGet("/v3/status/{id}", (string id, HttpContext c) =>
        {
            if (!Authed(c)) return Results.StatusCode(401);
            var n = polls.AddOrUpdate(id, 1, (_, v) => v + 1);
            var b = self!.BaseUrl;
            return n < 2
                ? Results.Json(new { jobId = id, status = "running", progress = 50 })
                : Results.Json(new
                {
                    jobId = id, status = "succeeded", progress = 100,
                    result = new { size = new { width = 1024, height = 1024 }, outputs = new[] { new { seed = 11, image = new { url = $"{b}/out/11.png" } }, new { seed = 12, image = new { url = $"{b}/out/12.png" } } } },
                });
        });
        // Console (docs/console.md#endpoints) shapes, for the projects and credentials commands.
        app.MapGet("/console/clients/{clientId}/credential", (string clientId) => clientId == ClientId
            ? Results.Json(new { org_id = "23294", org_code = "x@KilnOrg", project_id = "1", workspace_id = "2", credential_id = "577411", client_id = clientId })
            : Results.Json(new { error_code = "not_found", message = "Credential Not Found" }, statusCode: 404));
        app.MapGet("/console/organizations/{org}/credentials/{cred}/secrets", (string org, string cred) =>
            Results.Json(new { client_id = ClientId, client_secrets = new[] { new { uuid = $"{org}-{cred}", created_at = "1682448485000", expires_at = "PERMANENT", secret_usages = (object?)null } } }));
        var console = app.MapGroup("/console/organizations/{org}");
        console.MapGet("/projects", (string org) => Results.Json(new[] { new { id = "4566206088344794932", name = "demo", title = "Demo", description = "d", type = "default", org_id = org } }));
        console.MapPost("/projects", async (HttpContext c) =>
        {
            var body = await JsonDocument.ParseAsync(c.Request.Body);
            return body.RootElement.GetProperty("name").GetString() == "dup"
                ? Results.Json(new { error_code = "ERR_MSG_DUPLICATE_NAME", message = "duplicate name" }, statusCode: 409)
                : Results.Json(new { projectId = "4566206088344794999", projectType = "default", workspaceId = "4566206088344795000" }, statusCode: 201);
        });
        console.MapDelete("/projects/{id}", () => Results.Json(new { }));
        console.MapGet("/projects/{p}/workspaces", () => Results.Json(new[] { new { id = "4566206088344795000", name = "Production", title = "Production", description = "" } }));
        console.MapGet("/projects/{p}/workspaces/{w}/credentials", (string w) => Results.Json(new[] { new { id_workspace = w, id_integration = "577411", flow_type = "entp", integration_type = "oauth_server_to_server", credential_type = "oauth_server_to_server" } }));
        console.MapPost("/projects/{p}/workspaces/{w}/credentials/oauth-server-to-server", (string org) => Results.Json(new { id = "577412", apiKey = "fedcba9876543210fedcba9876543210", orgId = org, client_secret = "p8e-new-secret" }));
        console.MapDelete("/projects/{p}/workspaces/{w}/credentials/{id}", () => Results.Json(new { }));
        app.MapPut("/v3/cancel/{id}", (string id) => Results.Json(new { jobId = id, status = "canceled" }));
        app.MapGet("/out/{name}", (HttpContext c) => c.Request.Headers.Authorization.Count == 0 ? Results.Bytes(Png, "image/png") : Results.StatusCode(400));
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FireflyStubServer(app, url);
        return self;
    }

    public string[] Flags => ["--base-url", BaseUrl, "--client-id", ClientId, "--client-secret", "stub-secret"];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
