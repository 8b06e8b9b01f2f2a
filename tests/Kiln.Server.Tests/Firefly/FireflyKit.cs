using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace Kiln.Server.Tests.Firefly;

/// <summary>Helpers for the image API tests: raw JSON posts, polling, test images and pixel checks.</summary>
public static class FireflyKit
{
    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient c, string url, string body, string contentType = "application/json")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return c.PostAsync(url, content);
    }

    public static async Task<JsonElement> GenerateOkAsync(this HttpClient c, string url, string body)
    {
        using var res = await c.PostRawAsync(url, body);
        return await HttpAssert.JsonAsync(res, 200);
    }

    /// <summary>Polls a status URL until the job is terminal (or <paramref name="until"/> holds).</summary>
    public static async Task<JsonElement> PollAsync(HttpClient c, string statusUrl, Func<JsonElement, bool>? until = null, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            using var res = await c.GetAsync(statusUrl);
            var json = await HttpAssert.JsonAsync(res, 200);
            var status = json.GetProperty("status").GetString();
            if (until?.Invoke(json) ?? status is "succeeded" or "failed" or "canceled") return json;
            Assert.True(DateTime.UtcNow < deadline, $"job did not reach the expected state: {json}");
            await Task.Delay(100);
        }
    }

    public static async Task<byte[]> DownloadAsync(string url)
    {
        using var plain = new HttpClient();
        using var res = await plain.GetAsync(url);
        Assert.Equal(200, (int)res.StatusCode);
        return await res.Content.ReadAsByteArrayAsync();
    }

    public static (int W, int H, SKEncodedImageFormat Format) Info(byte[] bytes)
    {
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        Assert.NotNull(codec);
        return (codec.Info.Width, codec.Info.Height, codec.EncodedFormat);
    }

    public static void AssertJpeg(byte[] bytes, int w, int h)
    {
        Assert.True(bytes is [0xFF, 0xD8, 0xFF, ..], "not a JPEG");
        var info = Info(bytes);
        Assert.Equal((w, h, SKEncodedImageFormat.Jpeg), info);
    }

    /// <summary>A smooth image (gradient), so JPEG round trips stay close.</summary>
    public static byte[] Image(int w, int h, SKEncodedImageFormat format = SKEncodedImageFormat.Png, SKColor? a = null, SKColor? b = null)
    {
        using var bmp = new SKBitmap(w, h);
        using (var canvas = new SKCanvas(bmp))
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(w, h), [a ?? new SKColor(40, 90, 160), b ?? new SKColor(200, 180, 60)], SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { Shader = shader })
            canvas.DrawRect(0, 0, w, h, paint);
        using var data = bmp.Encode(format, 95);
        return data.ToArray();
    }

    /// <summary>Black everywhere, white inside <paramref name="white"/>.</summary>
    public static byte[] Mask(int w, int h, SKRectI white)
    {
        using var bmp = new SKBitmap(w, h);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(SKColors.Black);
            using var paint = new SKPaint { Color = SKColors.White };
            canvas.DrawRect(white, paint);
        }
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static SKBitmap Decode(byte[] bytes) => SKBitmap.Decode(bytes);

    /// <summary>Mean absolute per-channel difference over the pixels where <paramref name="where"/> holds.</summary>
    public static double MeanDiff(SKBitmap a, SKBitmap b, Func<int, int, bool> where, int step = 7)
    {
        double sum = 0;
        long n = 0;
        for (var y = 0; y < a.Height; y += step)
            for (var x = 0; x < a.Width; x += step)
            {
                if (!where(x, y)) continue;
                var p = a.GetPixel(x, y);
                var q = b.GetPixel(x, y);
                sum += Math.Abs(p.Red - q.Red) + Math.Abs(p.Green - q.Green) + Math.Abs(p.Blue - q.Blue);
                n += 3;
            }
        return sum / Math.Max(1, n);
    }

    public static async Task<string> UploadAsync(HttpClient c, byte[] bytes, string type = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        using var res = await c.PostAsync("/v2/storage/image", content);
        var json = await HttpAssert.JsonAsync(res, 200);
        return json.GetProperty("images")[0].GetProperty("id").GetString()!;
    }

    /// <summary>Creates a second org with its own Firefly credential (setup only; the Console API is another feature).</summary>
    public static async Task<(string ClientId, string Secret)> SecondOrgAsync(KilnFactory kiln)
    {
        using var scope = kiln.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var secrets = scope.ServiceProvider.GetRequiredService<ClientSecrets>();
        var now = DateTimeOffset.UtcNow;
        var org = new Org { Id = Ids.NewOrgId(), Code = Ids.NewOrgCode(), Name = "Other Org", CreatedAt = now };
        var project = NewEntities.NewProject(org.Id, "other", "Other", "test", now);
        var ws = NewEntities.NewWorkspace(org.Id, project.Id, "Production", "test", now);
        var cred = NewEntities.NewCredential(org.Id, project.Id, ws.Id, "Other credential", now);
        cred.Services.Add(new CredentialService { SdkCode = Server.Ims.Services.Firefly, SubscribedAt = now });
        var secret = secrets.AddFirst(db, cred, actor: null);
        db.AddRange(org, project, ws, cred);
        await db.SaveChangesAsync();
        return (cred.ClientId, secret);
    }

    public const string Cat = """{"prompt": "a realistic illustration of a cat coding"}""";
}
