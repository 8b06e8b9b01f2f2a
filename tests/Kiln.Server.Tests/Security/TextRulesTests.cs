using Kiln.Server.Core;

namespace Kiln.Server.Tests.Security;

/// <summary>The NFC tables that come with Kiln (invariant globalization has none) give Unicode's answers.</summary>
public sealed class TextRulesTests
{
    [Theory]
    [InlineData("Cafe\u0301", "Caf\u00E9")] // decomposed é
    [InlineData("\u212B", "\u00C5")] // ANGSTROM SIGN is a singleton
    [InlineData("A\u030A\u0301", "\u01FA")] // two marks, composed in turn
    [InlineData("a\u0323\u0307", "\u1EA1\u0307")] // dot below composes first; the dot above is left over
    [InlineData("a\u0307\u0323", "\u1EA1\u0307")] // the same after canonical ordering
    [InlineData("\u1100\u1161\u11A8", "\uAC01")] // Hangul jamo to a syllable
    [InlineData("\u0B47\u0B3E", "\u0B4B")] // two starters compose
    [InlineData("\u0344", "\u0308\u0301")] // excluded from composition
    [InlineData("plain ascii", "plain ascii")]
    public void Nfc_gives_unicodes_answers(string input, string nfc) => Assert.Equal(nfc, TextRules.Nfc(input));
}
