using System.Globalization;
using System.Text;

namespace Kiln.Server.Core;

/// <summary>
/// The one rule for text that people read as names: titles, descriptions, credential names and emails
/// (docs/security.md#look-alike-names-and-accounts). Text is normalised to NFC, so a precomposed and a decomposed
/// "é" are the same name, and text that hides characters is refused: control and format characters (zero-width
/// spaces and joiners, soft hyphens, bidi embeddings, overrides and isolates, byte-order marks), any space but the
/// plain space (no-break spaces among them), line and paragraph separators, lone surrogates, and the other characters
/// Unicode says render as nothing (variation selectors, Hangul fillers, the combining grapheme joiner).
/// </summary>
public static class TextRules
{
    /// <summary>NFC form of the text; text that cannot be normalised (a lone surrogate) comes back as it is, for <see cref="Problem"/> to refuse.</summary>
    public static string Nfc(string text) => HasBrokenSurrogates(text) ? text : text.Normalize(NormalizationForm.FormC);

    /// <summary>Null stays null; anything else is <see cref="Nfc(string)"/>.</summary>
    public static string? NfcOrNull(string? text) => text is null ? null : Nfc(text);

    /// <summary>The first character that hides or fakes something, as <c>U+200B</c>; null when there is none.</summary>
    public static string? HiddenCharacter(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
                return $"U+{(int)text[i]:X4}";
            if (IsHidden(rune)) return $"U+{rune.Value:X4}";
            i += used;
        }
        return null;
    }

    /// <summary>
    /// The refusal for a text field (400 <c>bad_request</c>), or null when it is fine. Give it the NFC form
    /// (<see cref="Nfc(string)"/>): the length is counted on that.
    /// </summary>
    public static OpError? Problem(string? value, string field, int max, bool required)
    {
        if (value is null) return required ? OpError.BadRequest($"{field} is required") : null;
        if (required && value.Trim().Length == 0) return OpError.BadRequest($"{field} must not be empty");
        if (value.Length > max) return OpError.BadRequest($"{field} must be at most {max} characters");
        return HiddenCharacter(value) is { } hidden
            ? OpError.BadRequest($"{field} must not contain control, invisible or direction-changing characters ({hidden})")
            : null;
    }

    /// <summary>An email as Kiln stores and compares it: trimmed, NFC, lower-case.</summary>
    public static string NormalizeEmail(string email) => Nfc(email.Trim()).ToLowerInvariant();

    private static bool HasBrokenSurrogates(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    private static bool IsHidden(Rune r)
    {
        if (r.Value == ' ') return false;
        switch (Rune.GetUnicodeCategory(r))
        {
            case UnicodeCategory.Control: // C0/C1 controls, including tab and line feed
            case UnicodeCategory.Format: // U+00AD soft hyphen, U+200B-U+200F, U+202A-U+202E, U+2060-U+2064, U+2066-U+2069, U+FEFF, tags …
            case UnicodeCategory.Surrogate:
            case UnicodeCategory.SpaceSeparator: // U+00A0, U+2007, U+202F, U+3000 …: any space but U+0020
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
                return true;
        }
        // Default-ignorable code points outside the Format category: they render as nothing.
        return r.Value is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or (>= 0x180B and <= 0x180F) or 0x3164 or 0xFFA0
            or 0x2800 or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF);
    }
}
