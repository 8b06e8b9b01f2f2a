using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>
/// One headless Debian Chromium per test class, driven by Playwright. Playwright never downloads a browser:
/// the executable is always given (without it, launch fails at once instead of fetching one).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium; test.sh exports KILN_TEST_CHROMIUM.</summary>
    public static readonly string Chromium = Environment.GetEnvironmentVariable("KILN_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
    private IPlaywright? _pw;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        _pw = await Playwright.CreateAsync();
        Browser = await _pw.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _pw?.Dispose();
    }

    /// <summary>
    /// A fresh context (own cookies) at laptop width. <paramref name="forAxe"/>: the axe scanner is injected as a script,
    /// which the console's Content-Security-Policy (rightly) forbids, so its pages are scanned with CSP bypassed.
    /// </summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress, int width = 1280, int height = 900, bool forAxe = false)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = baseAddress.ToString(), ViewportSize = new() { Width = width, Height = height }, BypassCSP = forAxe,
        });
        context.SetDefaultTimeout(20_000); // generous: CI runs other test assemblies on the same two cores
        return await context.NewPageAsync();
    }
}

/// <summary>
/// Screenshots at each step: TestResults/screenshots/&lt;provider&gt;/&lt;test&gt;/NN-step.png under the repository root
/// (git-ignored; test.sh leaves them there and CI keeps the folder as an artifact). KILN_TEST_SCREENSHOTS overrides the root.
/// </summary>
public sealed class Shots(IPage page, string test)
{
    private int _n;
    private readonly string _dir = Prepare(test);

    public async Task TakeAsync(string step)
    {
        var file = Path.Combine(_dir, $"{++_n:00}-{step}.png");
        await page.ScreenshotAsync(new() { Path = file, FullPage = true });
    }

    /// <summary>The folder every test's screenshots go under (one per database provider, as the suite runs twice).</summary>
    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("KILN_TEST_SCREENSHOTS") is { Length: > 0 } set) return set;
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Kiln.slnx"))) dir = Path.GetDirectoryName(dir);
            var provider = Environment.GetEnvironmentVariable("KILN_TEST_PROVIDER") is { Length: > 0 } p ? p : "sqlite";
            return Path.Combine(dir ?? AppContext.BaseDirectory, "TestResults", "screenshots", provider);
        }
    }

    private static string Prepare(string test)
    {
        var root = Path.Combine(Root, test);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        return root;
    }
}
