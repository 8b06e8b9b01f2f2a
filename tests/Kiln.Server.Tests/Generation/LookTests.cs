using static Kiln.Server.Tests.Generation.EngineKit;

namespace Kiln.Server.Tests.Generation;

public class LookTests
{
    [Fact]
    public async Task Photo_and_art_render_differently()
    {
        var photo = await Run(Request("a house by a lake with trees", seed: 5) with { ContentClass = "photo" });
        var art = await Run(Request("a house by a lake with trees", seed: 5) with { ContentClass = "art" });
        Assert.Equal("photo", photo.ContentClass);
        Assert.Equal("art", art.ContentClass);
        var p = new Pixels(photo.Jpeg);
        var a = new Pixels(art.Jpeg);
        // Art is flat: most neighbouring pixels are equal. The photo has gradients and grain everywhere.
        static double FlatShare(Pixels x)
        {
            var flat = 0;
            var pts = x.Points(new SkiaSharp.SKRectI(0, 0, x.Width - 1, x.Height), 3).ToList();
            foreach (var (px, py) in pts)
            {
                var (a, b) = (x.At(px, py), x.At(px + 1, py));
                if (Math.Abs(a.R - b.R) <= 1 && Math.Abs(a.G - b.G) <= 1 && Math.Abs(a.B - b.B) <= 1) flat++;
            }
            return flat / (double)pts.Count;
        }
        var (fp, fa) = (FlatShare(p), FlatShare(a));
        Assert.True(fa > fp + 0.25, $"flat share: photo {fp:F2}, art {fa:F2}");
    }

    [Theory]
    [InlineData("a realistic photo of a dog", "photo")]
    [InlineData("a cartoon illustration of a dog", "art")]
    [InlineData("a dog", "art")]
    public async Task Content_class_is_decided_from_the_prompt_when_absent(string prompt, string expected) =>
        Assert.Equal(expected, (await Run(Request(prompt))).ContentClass);

    [Fact]
    public async Task Presets_change_saturation_and_unknown_presets_are_ignored()
    {
        var baseRequest = Request("a red car by the blue sea", seed: 9) with { ContentClass = "photo" };
        var plain = (await Render(baseRequest)).MeanSaturation();
        var bw = (await Render(baseRequest with { StylePresets = ["bw"] })).MeanSaturation();
        var vivid = (await Render(baseRequest with { StylePresets = ["vibrant_colors"] })).MeanSaturation();
        var unknown = await Run(baseRequest with { StylePresets = ["no_such_preset"] });
        Assert.True(bw < 0.05, $"bw saturation {bw:F3}");
        Assert.True(vivid > plain + 0.05, $"vivid {vivid:F3} plain {plain:F3}");
        Assert.Equal((await Run(baseRequest)).Jpeg.Length > 0, unknown.Jpeg.Length > 0);
        Assert.Equal(plain, new Pixels(unknown.Jpeg).MeanSaturation(), 2);
    }

    [Fact]
    public async Task Visual_intensity_and_style_strength_scale_the_look()
    {
        var r = Request("flowers in a green field", seed: 4) with { ContentClass = "photo" };
        var low = (await Render(r with { VisualIntensity = 2 })).MeanSaturation();
        var high = (await Render(r with { VisualIntensity = 10 })).MeanSaturation();
        Assert.True(high > low + 0.08, $"intensity 2: {low:F3}, 10: {high:F3}");
        var weak = (await Render(r with { StylePresets = ["bw"], StyleStrength = 10 })).MeanSaturation();
        var strong = (await Render(r with { StylePresets = ["bw"], StyleStrength = 50 })).MeanSaturation();
        Assert.True(weak > strong + 0.1, $"bw at 10: {weak:F3}, at 50: {strong:F3}");
    }

    [Fact]
    public async Task Style_reference_lends_its_palette()
    {
        var magenta = Png(64, 64, c => c.Clear(new SkiaSharp.SKColor(230, 30, 200)));
        var r = Request("a house on a hill", seed: 12) with { ContentClass = "photo" };
        var plain = await Render(r);
        var styled = await Render(r with { StyleReference = magenta, StyleStrength = 80 });
        static double Magenta(Pixels p) { var (cr, cg, cb) = p.Mean(p.All); return (cr + cb) / 2 - cg; }
        Assert.True(Magenta(styled) > Magenta(plain) + 25, $"plain {Magenta(plain):F0}, styled {Magenta(styled):F0}");
    }

    [Fact]
    public async Task Structure_reference_imposes_its_light_layout()
    {
        var split = Png(64, 64, c => { c.Clear(SkiaSharp.SKColors.Black); using var p = new SkiaSharp.SKPaint { Color = SkiaSharp.SKColors.White }; c.DrawRect(32, 0, 32, 64, p); });
        var r = Request("a forest by a lake", seed: 6) with { ContentClass = "photo" };
        static double RightMinusLeft(Pixels p) =>
            Pixels.Luma(((byte, byte, byte))ToBytes(p.Mean(new SkiaSharp.SKRectI(p.Width / 2, 0, p.Width, p.Height))))
            - Pixels.Luma(((byte, byte, byte))ToBytes(p.Mean(new SkiaSharp.SKRectI(0, 0, p.Width / 2, p.Height))));
        var plain = RightMinusLeft(await Render(r));
        var structured = RightMinusLeft(await Render(r with { StructureReference = split, StructureStrength = 100 }));
        Assert.True(structured > plain + 40, $"plain {plain:F0}, structured {structured:F0}");
    }

    private static (byte, byte, byte) ToBytes((double R, double G, double B) c) => ((byte)c.R, (byte)c.G, (byte)c.B);
}
