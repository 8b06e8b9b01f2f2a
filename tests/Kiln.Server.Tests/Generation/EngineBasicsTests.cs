using Kiln.Server.Generation;
using static Kiln.Server.Tests.Generation.EngineKit;

namespace Kiln.Server.Tests.Generation;

public class EngineBasicsTests
{
    [Fact]
    public async Task Same_request_gives_byte_identical_jpeg_even_in_parallel()
    {
        var request = Request("a red car in a city at sunset with birds", seed: 1779323515) with { StylePresets = ["neon"], ContentClass = "photo" };
        var first = await Run(request);
        var parallel = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Run(request)));
        Assert.All(parallel, p => Assert.Equal(first.Jpeg, p.Jpeg));
        Assert.Equal(0xFF, first.Jpeg[0]);
        Assert.Equal(0xD8, first.Jpeg[1]);
    }

    [Fact]
    public async Task Different_seeds_give_visibly_different_images()
    {
        var a = await Render(Request("a dog in a field with trees", seed: 1));
        var b = await Render(Request("a dog in a field with trees", seed: 2));
        Assert.True(a.MeanAbsDiff(b, (_, _) => true, step: 2) > 8, "seeds 1 and 2 look the same");
    }

    [Theory]
    [InlineData(2048, 2048)]
    [InlineData(2304, 1792)]
    [InlineData(1344, 768)]
    [InlineData(896, 1152)]
    [InlineData(1, 3)]
    public async Task Output_has_exactly_the_requested_size(int w, int h)
    {
        var image = await Run(Request("a castle on a hill", w: w, h: h));
        var pixels = new Pixels(image.Jpeg);
        Assert.Equal((w, h), (pixels.Width, pixels.Height));
        Assert.Equal((w, h), (image.Width, image.Height));
    }

    [Fact]
    public async Task Progress_climbs_to_one_and_cancellation_is_honoured()
    {
        var seen = new List<double>();
        var progress = new SyncProgress(seen.Add);
        await Engine.GenerateAsync(Request("a boat on the sea"), progress, CancellationToken.None);
        Assert.Equal(1.0, seen[^1]);
        Assert.Equal(seen.OrderBy(p => p), seen);
        Assert.True(seen.Count >= 3);

        seen.Clear();
        var expand = Request("sea", w: 256, h: 256, op: ImageOperation.Expand) with { Source = SmoothPicture(128, 128), Mask = Mask(128, 128, new SkiaSharp.SKRect(0, 0, 64, 64)) };
        await Engine.GenerateAsync(expand, progress, CancellationToken.None);
        Assert.Equal(seen.OrderBy(p => p), seen);
        Assert.Equal(1.0, seen[^1]);

        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Engine.GenerateAsync(Request("a boat"), null, cts.Token));
    }

    [Fact]
    public async Task Unknown_prompt_still_paints_a_scene_chosen_by_its_text()
    {
        var plan = PromptParser.Parse("the concept of quarterly synergy", null);
        Assert.Contains("sky", plan.Elements);
        Assert.True(plan.Ground != GroundKind.None);
        var a = await Render(Request("the concept of quarterly synergy"));
        var b = await Render(Request("an ode to the spreadsheet"));
        Assert.True(a.MeanAbsDiff(b, (_, _) => true, step: 2) > 5);
    }

    [Fact]
    public void Generator_is_registered_as_a_singleton()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddGeneration();
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var engine = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IImageGenerator>(provider);
        Assert.IsType<ProceduralImageGenerator>(engine);
    }

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
