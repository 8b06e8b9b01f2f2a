using System.CommandLine;
using Kiln.Client;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln generate|similar|expand|fill|composite</c>: image operations with automatic upload, live progress and download.</summary>
public static class ImageCommands
{
    private static readonly Option<string> OutDir = new("--out", "-o") { Description = "Directory for the images", DefaultValueFactory = _ => "." };
    private static readonly Option<string?> Size = new("--size") { Description = "Output size WxH, e.g. 2048x2048" };
    private static readonly Option<int?> Variations = new("--variations") { Description = "Number of images (1-4)" };
    private static readonly Option<int[]> Seeds = new("--seed") { Description = "Seed (repeat for several images)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<bool> NoWait = new("--async") { Description = "Submit the job, print its id and return (see `kiln jobs status`)" };
    private static readonly Option<bool> Sync = new("--sync") { Description = "Use the synchronous endpoint instead of a job" };
    private static readonly Option<string?> Timeout = new("--timeout") { Description = "Give up waiting after this long (default 10m)" };

    public static Command Generate()
    {
        var prompt = new Argument<string>("prompt") { Description = "What to generate" };
        var contentClass = new Option<string?>("--content-class") { Description = "photo or art" };
        var negative = new Option<string?>("--negative-prompt") { Description = "What to avoid" };
        var model = new Option<string?>("--model") { Description = "x-model-version, e.g. image4_standard" };
        var cmd = Common(new Command("generate", "Generate images from a prompt") { prompt, contentClass, negative, model });
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, ctx => RunAsync(ctx, new GenerateImagesRequest
        {
            Prompt = parse.GetValue(prompt)!, ContentClass = ContentClassOf(parse.GetValue(contentClass)), NegativePrompt = parse.GetValue(negative),
            ModelVersion = parse.GetValue(model), NumVariations = parse.GetValue(Variations), Seeds = SeedsOf(parse), Size = SizeOf(parse),
        }), ct));
        return cmd;
    }

    public static Command Similar()
    {
        var image = new Argument<string>("image") { Description = "Reference image: a file (uploaded) or a URL" };
        var cmd = Common(new Command("similar", "Generate images similar to a reference") { image });
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx => await RunAsync(ctx, new GenerateSimilarImagesRequest
        {
            Image = (await SourceAsync(ctx, parse.GetValue(image)!)), NumVariations = parse.GetValue(Variations), Seeds = SeedsOf(parse), Size = SizeOf(parse),
        }), ct));
        return cmd;
    }

    public static Command Expand()
    {
        var image = new Argument<string>("image") { Description = "The image to expand: a file (uploaded) or a URL" };
        var prompt = new Option<string?>("--prompt") { Description = "What to fill the new area with" };
        var cmd = Common(new Command("expand", "Expand an image to a larger size") { image, prompt });
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx => await RunAsync(ctx, new ExpandImageRequest
        {
            Image = (await SourceAsync(ctx, parse.GetValue(image)!)), Prompt = parse.GetValue(prompt),
            NumVariations = parse.GetValue(Variations), Seeds = SeedsOf(parse), Size = SizeOf(parse),
        }), ct));
        return cmd;
    }

    public static Command Fill()
    {
        var image = new Argument<string>("image") { Description = "The image: a file (uploaded) or a URL" };
        var mask = new Option<string>("--mask") { Description = "Mask of the area to fill: a file or a URL", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "What to paint" };
        var cmd = Common(new Command("fill", "Fill a masked area of an image") { image, mask, prompt });
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx => await RunAsync(ctx, new FillImageRequest
        {
            Image = (await SourceAsync(ctx, parse.GetValue(image)!)), Mask = new ImageMask(await SourceAsync(ctx, parse.GetValue(mask)!)),
            Prompt = parse.GetValue(prompt), NumVariations = parse.GetValue(Variations), Seeds = SeedsOf(parse), Size = SizeOf(parse),
        }), ct));
        return cmd;
    }

    public static Command Composite()
    {
        var image = new Argument<string>("image") { Description = "The object image: a file (uploaded) or a URL" };
        var prompt = new Option<string>("--prompt") { Description = "The scene", Required = true };
        var mask = new Option<string?>("--mask") { Description = "Optional mask: a file or a URL" };
        var contentClass = new Option<string?>("--content-class") { Description = "photo or art" };
        var cmd = Common(new Command("composite", "Place an object into a generated scene") { image, prompt, mask, contentClass });
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx => await RunAsync(ctx, new ObjectCompositeRequest
        {
            Prompt = parse.GetValue(prompt)!, Image = (await SourceAsync(ctx, parse.GetValue(image)!)),
            Mask = parse.GetValue(mask) is { } m ? new ImageMask(await SourceAsync(ctx, m)) : null, ContentClass = ContentClassOf(parse.GetValue(contentClass)),
            NumVariations = parse.GetValue(Variations), Seeds = SeedsOf(parse), Size = SizeOf(parse),
        }), ct));
        return cmd;
    }

    private static Command Common(Command cmd)
    {
        foreach (var o in new Option[] { OutDir, Size, Variations, Seeds, NoWait, Sync, Timeout }) cmd.Options.Add(o);
        return cmd.WithCommon();
    }

    private static ImageSize? SizeOf(ParseResult parse) => parse.GetValue(Size) is not { } s ? null
        : ImageSize.TryParse(s, out var size) ? size : throw new CliUsageException($"--size '{s}': expected WIDTHxHEIGHT, e.g. 2048x2048.");

    private static ContentClass? ContentClassOf(string? text) => text switch
    {
        null or "" => null,
        _ when text.Equals("photo", StringComparison.OrdinalIgnoreCase) => ContentClass.Photo,
        _ when text.Equals("art", StringComparison.OrdinalIgnoreCase) => ContentClass.Art,
        _ => throw new CliUsageException($"--content-class '{text}': expected photo or art."),
    };

    private static int[]? SeedsOf(ParseResult parse) => parse.GetValue(Seeds) is { Length: > 0 } s ? s : null;

    /// <summary>A URL as is; a file is uploaded first.</summary>
    private static async Task<ImageReference> SourceAsync(CliContext ctx, string input)
    {
        if (Uri.TryCreate(input, UriKind.Absolute, out var u) && u.Scheme is "http" or "https") return ImageReference.FromUrl(u);
        if (!File.Exists(input)) throw new CliUsageException($"{input}: no such file.");
        var type = Path.GetExtension(input).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            _ => throw new CliUsageException($"{input}: only .png, .jpg and .webp can be uploaded."),
        };
        await using var file = File.OpenRead(input);
        var id = await ctx.Firefly.UploadAsync(file, type, ctx.Ct);
        if (!ctx.Json) System.Console.Error.WriteLine($"Uploaded {input} as {id}");
        return ImageReference.FromUpload(id);
    }

    private static async Task<int> RunAsync(CliContext ctx, ImageOperationRequest request)
    {
        var parse = ctx.Parse;
        if (parse.GetValue(NoWait) && parse.GetValue(Sync)) throw new CliUsageException("--async and --sync exclude each other.");
        var outDir = parse.GetValue(OutDir)!;
        var timeout = CliOptions.Duration(parse.GetValue(Timeout), "--timeout", TimeSpan.FromMinutes(10));
        var firefly = ctx.Firefly;
        ImagesResponse result;
        string? jobId = null;
        if (parse.GetValue(Sync))
        {
            result = await firefly.SyncAsync(request, ctx.Ct);
        }
        else
        {
            var job = await firefly.SubmitAsync(request, ctx.Ct);
            jobId = job.JobId;
            if (parse.GetValue(NoWait))
            {
                if (ctx.Json) ctx.WriteJson(new { jobId = job.JobId, statusUrl = job.StatusUrl, cancelUrl = job.CancelUrl });
                else System.Console.Out.WriteLine(job.JobId);
                return CliContext.Ok;
            }
            var status = await JobDisplay.WaitAsync(ctx, job, timeout);
            result = status.Result ?? throw new InvalidOperationException($"Job {job.JobId} succeeded without a result.");
        }
        Directory.CreateDirectory(outDir);
        var saved = new List<object>();
        for (var i = 0; i < result.Outputs.Count; i++)
        {
            var o = result.Outputs[i];
            var url = o.Image.Url ?? throw new InvalidOperationException("An output has no URL.");
            var ext = Path.GetExtension(url.AbsolutePath) is { Length: > 1 and <= 5 } e ? e : ".png";
            var path = Path.GetFullPath(Path.Combine(outDir, $"kiln-{o.Seed}-{i + 1}{ext}"));
            await firefly.DownloadAsync(url, path, ctx.Ct);
            saved.Add(new { seed = o.Seed, url = url.AbsoluteUri, path });
            if (!ctx.Json) System.Console.Out.WriteLine(path);
        }
        if (ctx.Json) ctx.WriteJson(new { jobId, size = result.Size, contentClass = result.ContentClass, outputs = saved });
        return CliContext.Ok;
    }

    private static Task<ImagesResponse> SyncAsync(this FireflyClient c, ImageOperationRequest r, CancellationToken ct) => r switch
    {
        GenerateImagesRequest g => c.GenerateImagesAsync(g, ct),
        GenerateSimilarImagesRequest s => c.GenerateSimilarImagesAsync(s, ct),
        ExpandImageRequest e => c.ExpandImageAsync(e, ct),
        FillImageRequest f => c.FillImageAsync(f, ct),
        ObjectCompositeRequest o => c.GenerateObjectCompositeAsync(o, ct),
        _ => throw new CliUsageException("unknown operation"),
    };
}
