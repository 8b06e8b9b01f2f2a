using Kiln.Server.Generation;
using SkiaSharp;
using static Kiln.Server.Tests.Generation.EngineKit;

namespace Kiln.Server.Tests.Generation;

public class OperationTests
{
    [Fact]
    public async Task Fill_changes_only_the_masked_area()
    {
        var source = SmoothPicture(1024, 1024);
        var hole = new SKRectI(300, 350, 700, 650);
        var request = Request("a cat", w: 1024, h: 1024, op: ImageOperation.Fill) with { Source = source, Mask = Mask(1024, 1024, hole) };
        var output = await Render(request);
        var original = new Pixels(source);
        var band = 16;
        bool Outside(int x, int y) => x < hole.Left - band || x >= hole.Right + band || y < hole.Top - band || y >= hole.Bottom + band;
        bool Inside(int x, int y) => x >= hole.Left + band && x < hole.Right - band && y >= hole.Top + band && y < hole.Bottom - band;
        Assert.True(output.MeanAbsDiff(original, Outside) < 3, $"outside changed by {output.MeanAbsDiff(original, Outside):F2}");
        Assert.True(output.MeanAbsDiff(original, Inside) > 15, $"inside changed by only {output.MeanAbsDiff(original, Inside):F2}");

        var inverted = await Render(request with { InvertMask = true });
        Assert.True(inverted.MeanAbsDiff(original, Inside) < 3, "inverted mask changed the hole");
        Assert.True(inverted.MeanAbsDiff(original, Outside) > 10, "inverted mask left the outside alone");
    }

    [Fact]
    public async Task Fill_resizes_the_source_to_a_different_output_size()
    {
        var request = Request("grass", w: 640, h: 480, op: ImageOperation.Fill) with { Source = SmoothPicture(320, 240), Mask = Mask(320, 240, new SKRect(10, 10, 60, 60)) };
        var output = await Render(request);
        Assert.Equal((640, 480), (output.Width, output.Height));
    }

    [Theory]
    [InlineData(HorizontalAlignment.Left, 0)]
    [InlineData(HorizontalAlignment.Right, 624)]
    [InlineData(HorizontalAlignment.Center, 312)]
    public async Task Expand_keeps_the_source_where_the_alignment_puts_it(HorizontalAlignment align, int expectedX)
    {
        var source = SmoothPicture(400, 300);
        var output = await Render(Request("a meadow", w: 1024, h: 768, op: ImageOperation.Expand) with { Source = source, Placement = new Placement(Horizontal: align) });
        AssertPlaced(output, new Pixels(source), expectedX, 234);
    }

    [Fact]
    public async Task Expand_honours_insets()
    {
        var source = SmoothPicture(400, 300);
        var output = await Render(Request(null, w: 1024, h: 768, op: ImageOperation.Expand) with { Source = source, Placement = new Placement(InsetLeft: 100, InsetTop: 50) });
        AssertPlaced(output, new Pixels(source), 100, 50);
    }

    private static void AssertPlaced(Pixels output, Pixels source, int ox, int oy)
    {
        const int margin = 16;
        double sum = 0;
        var n = 0;
        for (var y = margin; y < source.Height - margin; y += 2)
            for (var x = margin; x < source.Width - margin; x += 2)
            {
                var (a, b) = (output.At(ox + x, oy + y), source.At(x, y));
                sum += Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B);
                n += 3;
            }
        Assert.True(sum / n < 4, $"source at ({ox},{oy}) differs by {sum / n:F2}");
    }

    [Fact]
    public async Task Expand_continues_the_edges_without_a_seam()
    {
        var source = SmoothPicture(512, 512);
        var p = await Render(Request("a beach", w: 1024, h: 1024, op: ImageOperation.Expand) with { Source = source });
        // The source spans x 256..768. Compare the step across its left edge with steps nearby.
        double Step(int x) => Enumerable.Range(300, 400).Average(y => Math.Abs(Pixels.Luma(p.At(x + 1, y)) - Pixels.Luma(p.At(x, y))));
        var across = Enumerable.Range(250, 12).Max(Step);
        var nearby = Enumerable.Range(200, 40).Concat(Enumerable.Range(270, 40)).Average(Step);
        Assert.True(across < 3 * nearby + 2.5, $"step across the edge {across:F2}, nearby {nearby:F2}");
        // The new area is really grown from the edge: just outside, colours are close to the edge colours.
        var edge = p.Mean(new SKRectI(258, 300, 262, 700));
        var outside = p.Mean(new SKRectI(236, 300, 240, 700));
        Assert.True(Math.Abs(edge.R - outside.R) + Math.Abs(edge.G - outside.G) + Math.Abs(edge.B - outside.B) < 45);
    }

    [Fact]
    public async Task Expand_with_a_mask_regenerates_only_the_masked_area()
    {
        var source = SmoothPicture(512, 512);
        var request = Request("a red flower", w: 512, h: 512, op: ImageOperation.Expand) with { Source = source, Mask = Mask(512, 512, new SKRect(0, 0, 256, 512)) };
        var p = await Render(request);
        var original = new Pixels(source);
        Assert.True(p.MeanAbsDiff(original, (x, y) => x > 290 && y > 20 && y < 490 && x < 490) < 4);
        Assert.True(p.MeanAbsDiff(original, (x, _) => x < 220) > 10);
    }

    [Fact]
    public async Task Similar_keeps_the_palette_but_is_a_new_image_per_seed()
    {
        var source = SmoothPicture(768, 768);
        var original = new Pixels(source);
        var a = await Render(Request(null, seed: 1, w: 768, h: 768, op: ImageOperation.GenerateSimilar) with { Source = source });
        var b = await Render(Request(null, seed: 2, w: 768, h: 768, op: ImageOperation.GenerateSimilar) with { Source = source });
        var (sr, sg, sb) = original.Mean(original.All);
        var (ar, ag, ab) = a.Mean(a.All);
        Assert.True(Math.Abs(sr - ar) < 20 && Math.Abs(sg - ag) < 20 && Math.Abs(sb - ab) < 20, $"mean moved from ({sr:F0},{sg:F0},{sb:F0}) to ({ar:F0},{ag:F0},{ab:F0})");
        Assert.True(a.MeanAbsDiff(original, (_, _) => true, 2) > 4, "similar is a copy of the source");
        Assert.True(a.MeanAbsDiff(b, (_, _) => true, 2) > 4, "seeds give the same similar image");
        Assert.True(a.MeanAbsDiff(original, (_, _) => true, 2) < 60, "similar lost the layout");
    }

    [Fact]
    public async Task Composite_keeps_the_object_and_replaces_a_plain_background()
    {
        var source = Png(512, 512, c =>
        {
            c.Clear(SKColors.White);
            using var paint = new SKPaint { IsAntialias = true, Color = new SKColor(200, 30, 30) };
            c.DrawCircle(256, 256, 150, paint);
        });
        var image = await Run(Request("on a sandy beach at sunset", w: 1024, h: 1024, op: ImageOperation.ObjectComposite) with { Source = source });
        var p = new Pixels(image.Jpeg);
        var disc = p.Mean(new SKRectI(256 + 180, 256 + 180, 256 + 330, 256 + 330));
        Assert.True(Math.Abs(disc.R - 200) < 8 && disc.G < 40 && disc.B < 40, $"object colour {disc}");
        var corner = p.Mean(new SKRectI(256 + 10, 256 + 10, 256 + 60, 256 + 60));
        Assert.True(corner.R + corner.G + corner.B < 3 * 235, $"background stayed white {corner}");
        Assert.Contains(image.ContentClass, new[] { "photo", "art" });
    }

    [Fact]
    public async Task Composite_with_a_mask_keeps_only_the_masked_object()
    {
        var source = SmoothPicture(512, 512);
        var request = Request("a city at night", w: 512, h: 512, op: ImageOperation.ObjectComposite) with { Source = source, Mask = Mask(512, 512, new SKRect(128, 128, 384, 384)) };
        var p = await Render(request);
        var original = new Pixels(source);
        Assert.True(p.MeanAbsDiff(original, (x, y) => x > 150 && x < 360 && y > 150 && y < 360) < 4);
        Assert.True(p.MeanAbsDiff(original, (x, y) => x < 100 || y < 100) > 15);
    }
}
