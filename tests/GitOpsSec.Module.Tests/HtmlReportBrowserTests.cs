using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Module.Tests;

/// <summary>
/// The HTML report in a real headless Chromium: the DOM it renders carries the counts, and a screenshot
/// shows the severity colours. CI installs Chromium (.ci/run) and sets GITOPSSEC_REQUIRE_BROWSER=1 so the
/// test cannot be skipped there; elsewhere it is skipped when no Chromium is installed.
/// </summary>
public class HtmlReportBrowserTests
{
    private static string? Chromium() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    private static string RunChromium(string chromium, string profile, params string[] args)
    {
        var start = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}" }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "chromium did not finish");
        _ = err.Result;
        return output;
    }

    [SkippableFact]
    public void The_html_report_renders_counts_and_severity_colours_in_a_real_browser()
    {
        string? chromium = Chromium();
        bool required = Environment.GetEnvironmentVariable("GITOPSSEC_REQUIRE_BROWSER") == "1";
        Assert.False(required && chromium is null, "GITOPSSEC_REQUIRE_BROWSER=1 but no Chromium is installed");
        Skip.If(chromium is null, "Chromium is not installed (apt-get install chromium)");

        using var dir = new TempDir();
        string html = Path.Combine(dir.Path, "report.html");
        using var session = new PowerShellSession();
        session.Run("Test-GitOpsRepo ./examples/insecure-repo | Export-GitOpsReport Html $args[0]", html).AssertNoErrors();
        var findings = session.Run("Test-GitOpsRepo ./examples/insecure-repo").Findings();

        string dom = RunChromium(chromium!, Path.Combine(dir.Path, "p1"), "--dump-dom", new Uri(html).AbsoluteUri);
        foreach (string severity in new[] { "Critical", "High", "Medium", "Low" })
        {
            int count = findings.Count(f => !f.Suppressed && f.Severity == severity);
            Assert.Contains($"id=\"count-{severity}\">{count}<", dom, StringComparison.Ordinal);
        }

        string png = Path.Combine(dir.Path, "report.png");
        RunChromium(chromium!, Path.Combine(dir.Path, "p2"), "--window-size=1400,1000", $"--screenshot={png}", new Uri(html).AbsoluteUri);
        var (width, height, pixels) = DecodePng(File.ReadAllBytes(png));
        Assert.Equal((1400, 1000), (width, height));
        // The Critical count cell (#7a0019) and the High one (#d1242f) are painted.
        Assert.True(pixels.Contains((0x7a, 0x00, 0x19)), "no Critical-coloured pixel in the screenshot");
        Assert.True(pixels.Contains((0xd1, 0x24, 0x2f)), "no High-coloured pixel in the screenshot");
    }

    /// <summary>The distinct RGB colours of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes).</summary>
    private static (int Width, int Height, HashSet<(byte, byte, byte)> Colours) DecodePng(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new NotSupportedException($"PNG colour type {data[9]}") };
                Assert.Equal(0, data[12]);
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }
        byte[] raw = inflated.ToArray();
        int stride = width * channels;
        var previous = new byte[stride];
        var current = new byte[stride];
        var colours = new HashSet<(byte, byte, byte)>();
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            Array.Copy(raw, y * (stride + 1) + 1, current, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? current[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                current[i] = (byte)(current[i] + filter switch
                {
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => 0,
                });
            }
            for (int x = 0; x < width; x++)
            {
                colours.Add((current[x * channels], current[x * channels + 1], current[x * channels + 2]));
            }
            (previous, current) = (current, previous);
        }
        return (width, height, colours);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
