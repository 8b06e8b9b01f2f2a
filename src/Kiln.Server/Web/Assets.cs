using System.Reflection;

namespace Kiln.Server.Web;

/// <summary>The UI's static files (a stylesheet, a tiny copy-button script and the icon), embedded in the assembly.</summary>
public static class Assets
{
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType, string ETag)> Files = Load();

    public static IResult Serve(string name, HttpContext ctx)
    {
        if (!Files.TryGetValue(name, out var f)) return Results.NotFound();
        ctx.Response.Headers.CacheControl = "public, max-age=3600";
        ctx.Response.Headers.ETag = f.ETag;
        if (ctx.Request.Headers.IfNoneMatch == f.ETag) return Results.StatusCode(304);
        return Results.Bytes(f.Bytes, f.ContentType);
    }

    private static Dictionary<string, (byte[], string, string)> Load()
    {
        var asm = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var (name, type) in new[] { ("console.css", "text/css; charset=utf-8"), ("copy.js", "text/javascript; charset=utf-8"), ("favicon.ico", "image/x-icon") })
        {
            using var s = asm.GetManifestResourceStream("Kiln.Server.Web.Assets." + name)
                ?? throw new InvalidOperationException($"Embedded asset {name} is missing.");
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            var bytes = ms.ToArray();
            files[name] = (bytes, type, "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16] + "\"");
        }
        return files;
    }
}
