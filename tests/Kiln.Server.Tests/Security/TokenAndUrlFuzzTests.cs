using System.Text;
using Kiln.Server.Core;
using Kiln.Server.Ims;
using Kiln.Server.Storage;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Security;

/// <summary>
/// Parser-level fuzzing of the bearer-token reader (<see cref="TokenValidator"/>) and of the pre-signed URL verifiers
/// (Kiln's own signed /files URLs and S3 own-URL recognition), called directly, no HTTP. Properties: nothing escapes
/// but a refusal, the valid input is accepted, and no mutation of it is accepted as anything else.
/// </summary>
public sealed class TokenAndUrlFuzzTests : IDisposable
{
    private readonly KilnFactory _kiln = new KilnFactory().WithLocalStorage();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Token_reader_refuses_garbage_and_every_mutation_and_accepts_the_valid_token()
    {
        _kiln.Start();
        var validator = _kiln.Services.GetRequiredService<TokenValidator>();
        var valid = await _kiln.DemoTokenAsync();
        var other = await _kiln.DemoTokenAsync(KilnFactory.IoScopes);
        Assert.NotNull((await validator.ValidateAsync(valid, default)).Caller);
        var parts = valid.Split('.');
        var others = other.Split('.');
        foreach (var i in Fuzz.Range(Fuzz.Iterations(2000, 200_000)))
        {
            var r = Fuzz.For("jwt", i);
            var token = r.Next(7) switch
            {
                0 => Encoding.Latin1.GetString(FuzzInput.RandomBytes(r, 400)),
                1 => string.Join(".", Enumerable.Range(0, r.Next(1, 6)).Select(_ => FuzzInput.B64(r))),
                2 => $"{parts[0]}.{FuzzInput.B64(r)}.{parts[2]}",
                3 => $"{parts[0]}.{others[1]}.{parts[2]}",
                4 => valid[..r.Next(valid.Length)],
                5 => valid + FuzzInput.Pick(r, [" ", ".", "..", "=", "\n", "." + FuzzInput.B64(r)]),
                _ => FuzzInput.Mutate(r, valid),
            };
            if (token == valid) continue;
            try
            {
                var (caller, reason) = await validator.ValidateAsync(token, default);
                Assert.True(caller is null && reason is not null, $"{Fuzz.Replay("jwt", i)}: accepted a token that is not the one issued: {token}");
            }
            catch (Exception e)
            {
                Assert.Fail($"{Fuzz.Replay("jwt", i)}: {e.GetType().Name} escaped the token reader for {token}\n{e}");
            }
        }
        Assert.NotNull((await validator.ValidateAsync(valid, default)).Caller);
    }

    [Fact]
    public void Signed_files_urls_accept_the_signed_url_only()
    {
        _kiln.Start();
        var signer = _kiln.Services.GetRequiredService<UrlSigner>();
        var store = _kiln.Services.GetRequiredService<IBlobStore>();
        Assert.IsType<LocalDiskBlobStore>(Assert.IsType<MeasuredBlobStore>(store).Inner);
        const string key = "outputs/123/0a1b2c3d-4e5f-6789-abcd-ef0123456789.jpg";
        var signed = signer.Sign(key, TimeSpan.FromHours(1));
        Assert.Equal(key, store.KeyFromOwnUrl(new Uri("http://127.0.0.1:5000" + signed)));
        AssertOnlyTheOriginalIsAccepted("files-url", "http://127.0.0.1:5000" + signed, key, u => store.KeyFromOwnUrl(u));
    }

    [Fact]
    public async Task S3_own_urls_are_recognised_only_as_signed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new KilnOptions { Storage = "s3://kiln-fuzz?endpoint=http://127.0.0.1:9&region=us-east-1&forcePathStyle=true&prefix=p1" });
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kiln:S3:AccessKeyId"] = "AKIDFUZZ", ["Kiln:S3:SecretAccessKey"] = "fuzz-secret-key",
        }).Build();
        using var store = new S3BlobStore(options, config, clock);
        const string key = "uploads/123/0a1b2c3d-4e5f-6789-abcd-ef0123456789.png";
        var url = await store.GetDownloadUrlAsync(key, TimeSpan.FromHours(1));
        Assert.Equal(key, store.KeyFromOwnUrl(new Uri(url)));
        AssertOnlyTheOriginalIsAccepted("s3-url", url, key, store.KeyFromOwnUrl);

        // Another key, another bucket's host or a later expiry under the same signature are not this store's URLs.
        Assert.Null(store.KeyFromOwnUrl(new Uri(url.Replace("/uploads/123/", "/uploads/456/", StringComparison.Ordinal))));
        Assert.Null(store.KeyFromOwnUrl(new Uri(url.Replace("X-Amz-Expires=3600", "X-Amz-Expires=604800", StringComparison.Ordinal))));
        var date = System.Text.RegularExpressions.Regex.Match(url, "X-Amz-Date=([0-9TZ]+)").Groups[1].Value;
        Assert.Null(store.KeyFromOwnUrl(new Uri(url.Replace(date, "99991231T235959Z", StringComparison.Ordinal)))); // no overflow either
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Null(store.KeyFromOwnUrl(new Uri(url)));
    }

    /// <summary>Mutates the URL's path and query; whatever still parses must be refused or name the very same key.</summary>
    private static void AssertOnlyTheOriginalIsAccepted(string fuzzer, string url, string key, Func<Uri, string?> recognise)
    {
        var origin = new Uri(url).GetLeftPart(UriPartial.Authority);
        var rest = url[origin.Length..];
        var refused = 0;
        var count = Fuzz.Iterations(3000, 300_000);
        foreach (var i in Fuzz.Range(count))
        {
            var r = Fuzz.For(fuzzer, i);
            var mutated = r.Next(5) switch
            {
                0 => origin + rest[..r.Next(rest.Length)],
                1 => FuzzInput.Pick(r, ["http://127.0.0.1:5001", "https://127.0.0.1:5000", "http://localhost:9", "http://kiln-fuzz.127.0.0.1:9", origin]) + rest,
                2 => origin + rest.Replace(FuzzInput.Pick(r, ["expires=", "sig=", "X-Amz-Date=", "X-Amz-Expires=", "X-Amz-Signature=", "/p1/", "/files/"]),
                    FuzzInput.Pick(r, ["expires=9", "sig=", "X-Amz-Date=2", "X-Amz-Expires=99999999", "X-Amz-Signature=0", "/p2/", "/files/../"]), StringComparison.Ordinal),
                3 => origin + rest + FuzzInput.Pick(r, ["&expires=99999999999", "&sig=x", "&X-Amz-Date=99991231T235959Z", "&X-Amz-Expires=2147483647", "/../x", "#x"]),
                _ => origin + FuzzInput.Mutate(r, rest),
            };
            if (!Uri.TryCreate(mutated, UriKind.Absolute, out var uri)) continue;
            string? got;
            try { got = recognise(uri); }
            catch (Exception e)
            {
                Assert.Fail($"{Fuzz.Replay(fuzzer, i)}: {e.GetType().Name} escaped the URL verifier for {mutated}\n{e}");
                return;
            }
            if (got is null) refused++;
            else Assert.True(got == key, $"{Fuzz.Replay(fuzzer, i)}: {mutated} was accepted as key {got}");
        }
        Assert.True(refused > count / 2, $"[{fuzzer}] seed {Fuzz.Seed}: only {refused} of {count} mutations refused");
    }
}
