using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Kiln.Server.Ims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Bench;

/// <summary>
/// Issue 17: what one token costs besides its signature. The baseline is a raw ECDSA P-256 sign (SHA-256, IEEE P1363)
/// of a token-sized input; <see cref="HandlerCreateToken"/> is the library path Kiln used before (a payload string
/// through <c>JsonWebTokenHandler.CreateToken</c>), on the payload the real issuer writes; <see cref="KilnIssue"/> is
/// <c>TokenIssuer</c>'s whole mint today. The claims are written only by <c>TokenIssuer</c>: the bench reads them from
/// a token it issued.
/// </summary>
[MemoryDiagnoser]
public class TokenBenchmarks
{
    private static readonly TokenSubject Subject = new("90cacc486147e63ca80f8e0b69dc92c5", "1F2E3D4C5B6A79880A1B2C3D@techacct.adobe.com",
        "ABCDEF0123456789ABCDEF01@AdobeOrg", 476868932679139840, "0123456789abcdef0123456789abcdef", ["firefly_api", "ff_apis"]);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private SigningCredentials _credentials = null!;
    private JwsSigner _signer = null!;
    private byte[] _input = null!;
    private string _payload = null!;

    [GlobalSetup]
    public void Setup()
    {
        _credentials = new SigningCredentials(new ECDsaSecurityKey(_ec) { KeyId = "kiln-20261201-0a1b2c3d" }, SecurityAlgorithms.EcdsaSha256);
        _signer = new JwsSigner(_credentials);
        var token = TokenIssuer.Issue(_signer, Subject, "https://ims-na1.adobelogin.com", DateTimeOffset.UtcNow, TimeSpan.FromHours(24)).AccessToken;
        var dot = token.LastIndexOf('.');
        _input = Encoding.ASCII.GetBytes(token[..dot]);
        _payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(token.Split('.')[1]));
        // The library reads what the signer writes: same header, and the signature verifies.
        var library = Handler.CreateToken(_payload, _credentials);
        if (library.Split('.')[0] != token.Split('.')[0]) throw new InvalidOperationException("header differs from the library's");
        var check = new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = _credentials.Key, ValidateAudience = false, ValidateIssuer = false, ValidateLifetime = true,
        }).GetAwaiter().GetResult();
        if (!check.IsValid) throw new InvalidOperationException("token does not validate", check.Exception);
    }

    [Benchmark(Baseline = true)]
    public int RawSign() => _ec.SignData(_input, HashAlgorithmName.SHA256).Length;

    /// <summary>The handler alone, on a ready payload string.</summary>
    [Benchmark]
    public int HandlerCreateToken() => Handler.CreateToken(_payload, _credentials).Length;

    [Benchmark]
    public int KilnIssue() => TokenIssuer.Issue(_signer, Subject, "https://ims-na1.adobelogin.com", DateTimeOffset.UtcNow, TimeSpan.FromHours(24)).AccessToken.Length;
}
