using Kiln.Server.Generation;
using static Kiln.Server.Tests.Generation.EngineKit;

namespace Kiln.Server.Tests.Generation;

public class PromptTests
{
    [Fact]
    public void Prompt_words_become_scene_elements()
    {
        var plan = PromptParser.Parse("A cat by the sea with mountains at sunset, two birds", null);
        Assert.Superset(new HashSet<string> { "cat", "sea", "mountains", "sunset", "bird", "sun" }, plan.Elements.ToHashSet());
        Assert.Equal(3, plan.Subjects.Single(s => s.Kind == SubjectKind.Bird).Count);
    }

    [Fact]
    public void Negative_prompt_removes_elements_from_the_plan()
    {
        var plan = PromptParser.Parse("a cat by the sea with mountains", "mountains, cats");
        Assert.DoesNotContain("mountains", plan.Elements);
        Assert.DoesNotContain("cat", plan.Elements);
        Assert.Contains("sea", plan.Elements);
        Assert.Contains("mountains", PromptParser.Parse("a cat by the sea with mountains", null).Elements);
    }

    [Fact]
    public void Colour_words_attach_to_the_next_element_or_tint_everything()
    {
        var plan = PromptParser.Parse("a red car near a blue lake", null);
        Assert.Equal(Vocabulary.Colours["red"], plan.Subjects.Single(s => s.Kind == SubjectKind.Car).Colour);
        Assert.Equal(Vocabulary.Colours["blue"], plan.LayerColours["lake"]);
        Assert.Empty(plan.GlobalTints);
        Assert.Single(PromptParser.Parse("everything is purple", null).GlobalTints);
    }

    [Fact]
    public async Task Colour_words_move_the_dominant_hue()
    {
        var blue = await Render(Request("a blue sea", seed: 3) with { ContentClass = "photo" });
        var red = await Render(Request("a red desert", seed: 3) with { ContentClass = "photo" });
        var (br, _, bb) = blue.Mean(blue.All);
        var (rr, _, rb) = red.Mean(red.All);
        Assert.True(bb - br > 30, $"blue sea: R {br:F0} B {bb:F0}");
        Assert.True(rr - rb > 15, $"red desert: R {rr:F0} B {rb:F0}");
        Assert.True((rr - rb) - (br - bb) > 80, "the colour words barely moved the hue");
    }

    [Fact]
    public async Task Negative_prompt_removes_the_mountain_layer_from_the_pixels()
    {
        // Day sky without clouds is a vertical gradient: rows above the horizon are flat unless a ridge crosses them.
        static async Task<double> RowVariation(string? negative)
        {
            var p = await Render(Request("mountains by the sea", seed: 11) with { NegativePrompt = negative, ContentClass = "art" });
            var total = 0.0;
            for (var y = p.Height / 5; y < p.Height / 2; y += 4)
            {
                var row = Enumerable.Range(0, p.Width).Select(x => Pixels.Luma(p.At(x, y))).ToList();
                var mean = row.Average();
                total += Math.Sqrt(row.Average(v => (v - mean) * (v - mean)));
            }
            return total;
        }
        var with = await RowVariation(null);
        var without = await RowVariation("mountains");
        Assert.True(with > 4 * without + 20, $"with mountains {with:F0}, without {without:F0}");
    }
}
