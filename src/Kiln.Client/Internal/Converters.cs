using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Client.Internal;

/// <summary>An enum as its lower-case name on the wire; reads any case, <c>cancelled</c> as <c>canceled</c>, and an unknown name as 0.</summary>
internal sealed class LowerCaseEnumConverter<T> : JsonConverter<T> where T : struct, Enum
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected a string for {typeof(T).Name}");
        var text = reader.GetString() ?? "";
        if (text.Equals("cancelled", StringComparison.OrdinalIgnoreCase)) text = "canceled";
        return Enum.TryParse<T>(text, ignoreCase: true, out var v) && Enum.IsDefined(v) && !int.TryParse(text, out _) ? v : default;
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString().ToLowerInvariant());
}

/// <summary>An id that the wire sends as a string or as a number; always a string here.</summary>
internal sealed class StringOrNumberConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => reader.TryGetInt64(out var l) ? l.ToString(CultureInfo.InvariantCulture) : reader.GetDouble().ToString(CultureInfo.InvariantCulture),
        JsonTokenType.Null => null,
        _ => JsonDocument.ParseValue(ref reader).RootElement.GetRawText(),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>
/// <see cref="ImageReference"/> on the wire: written as <c>{"source":{"url"|"uploadId"}}</c>; read from that or from an
/// output's <c>{"url"}</c>.
/// </summary>
internal sealed class ImageReferenceConverter : JsonConverter<ImageReference>
{
    public override ImageReference? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        var e = doc.RootElement;
        if (e.ValueKind != JsonValueKind.Object) throw new JsonException("an image must be an object");
        if (e.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.Object) e = source;
        var url = e.Str("url");
        return new ImageReference { Url = url is null ? null : new Uri(url, UriKind.RelativeOrAbsolute), UploadId = e.Str("uploadId") };
    }

    public override void Write(Utf8JsonWriter writer, ImageReference value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        WriteSource(writer, value);
        writer.WriteEndObject();
    }

    internal static void WriteSource(Utf8JsonWriter writer, ImageReference value)
    {
        writer.WriteStartObject("source");
        if (value.Url is { } url) writer.WriteString("url", url.IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString);
        if (value.UploadId is { } id) writer.WriteString("uploadId", id);
        writer.WriteEndObject();
    }
}

/// <summary><see cref="ImageMask"/> on the wire: <c>{"source":{"url"|"uploadId"},"invert"}</c>.</summary>
internal sealed class ImageMaskConverter : JsonConverter<ImageMask>
{
    public override ImageMask? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        var e = doc.RootElement;
        var source = JsonSerializer.Deserialize<ImageReference>(e.GetRawText(), options) ?? throw new JsonException("a mask needs a source");
        bool? invert = e.TryGetProperty("invert", out var i) && i.ValueKind is JsonValueKind.True or JsonValueKind.False ? i.GetBoolean() : null;
        return new ImageMask(source, invert);
    }

    public override void Write(Utf8JsonWriter writer, ImageMask value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        ImageReferenceConverter.WriteSource(writer, value.Source);
        if (value.Invert is { } invert) writer.WriteBoolean("invert", invert);
        writer.WriteEndObject();
    }
}
