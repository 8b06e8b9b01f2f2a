namespace Kiln.Server.Generation.Operations;

/// <summary>Generative fill: the source at the output size, with only the masked area replaced by the prompt's scene.</summary>
internal static class FillOperation
{
    public static string Run(RenderJob job, Target target)
    {
        var canvas = target.Canvas;
        using var decoded = ImageDecoding.Decode(job.Request.Source, "source");
        using var mask = ImageDecoding.Decode(job.Request.Mask ?? throw new InvalidImageInputException("Fill needs a mask image."), "mask");
        using var source = ImageDecoding.Resize(decoded, job.Width, job.Height);
        var art = ImageDecoding.LooksLikeArt(source);
        job.Look = Look.ForSource(art);
        job.Step(0.1);
        canvas.DrawImage(source, 0, 0);
        Masks.FillMasked(job, canvas, source, mask, job.Request.InvertMask);
        return art ? Look.ArtClass : Look.Photo;
    }
}
