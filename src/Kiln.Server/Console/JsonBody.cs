using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Kiln.Server.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Kiln.Server.Console;

/// <summary>
/// A typed Console request body. It is read by <see cref="ConsoleJson"/>, not by the framework's binder, so a missing,
/// malformed or oversized body, or any content type, answers exactly as before (400 <c>{"error_code","message"}</c>);
/// the endpoint's OpenAPI operation still shows <typeparamref name="T"/> as its JSON body (<see cref="ConsoleBodies"/>).
/// </summary>
public sealed class JsonBody<T> : IEndpointParameterMetadataProvider where T : class
{
    private readonly T? _value;
    private readonly JsonHttpResult<ApiError>? _error;

    private JsonBody(T? value, JsonHttpResult<ApiError>? error) => (_value, _error) = (value, error);

    /// <summary>True with the 400 to answer when the body could not be read; otherwise the body.</summary>
    public bool Failed([NotNullWhen(true)] out JsonHttpResult<ApiError>? error, [NotNullWhen(false)] out T? value)
    {
        (error, value) = (_value is null ? _error ?? ApiErrors.BadRequest("a JSON request body is required") : null, _value);
        return error is not null;
    }

#pragma warning disable CA1000 // the binding and metadata hooks of minimal APIs are static members of the parameter type
    public static async ValueTask<JsonBody<T>> BindAsync(HttpContext ctx)
    {
        var (value, error) = await ConsoleJson.ReadAsync<T>(ctx.Request, ctx.RequestAborted);
        return new JsonBody<T>(value, error);
    }

    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder) => builder.Metadata.Add(new ConsoleBody(typeof(T)));
#pragma warning restore CA1000
}

/// <summary>Marks an endpoint whose body is a <see cref="JsonBody{T}"/> of <see cref="Type"/>.</summary>
public sealed record ConsoleBody(Type Type);

/// <summary>
/// Declares the Console bodies in <c>/openapi/v1.json</c>. Not <c>Accepts&lt;T&gt;</c>: that metadata also makes routing
/// answer 415 to other content types, and the Console reads JSON whatever the request says (curl <c>-d</c> sends a form type).
/// </summary>
public static class ConsoleBodies
{
    public static IServiceCollection AddConsoleBodies(this IServiceCollection services) =>
        services.Configure<OpenApiOptions>("v1", o => o.AddOperationTransformer(async (operation, context, ct) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<ConsoleBody>().FirstOrDefault() is not { } body) return;
            var schema = await context.GetOrCreateSchemaAsync(body.Type, null, ct);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        }));
}
