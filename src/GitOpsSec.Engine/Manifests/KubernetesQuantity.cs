using System.Globalization;
using System.Text.RegularExpressions;

namespace GitOpsSec.Manifests;

/// <summary>Kubernetes resource quantities (100m, 1Gi, 2k) and plain numbers, as the API server normalises them.</summary>
public static class KubernetesQuantity
{
    private static readonly Regex Pattern = new(@"^(-?\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$", RegexOptions.CultureInvariant);

    /// <summary>The value as a double; null when the text is neither a number nor a quantity.</summary>
    public static double? Parse(string s)
    {
        var m = Pattern.Match(s.Trim());
        if (!m.Success)
        {
            return null;
        }
        double n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return n * (m.Groups[2].Value switch
        {
            "m" => 1e-3, "k" => 1e3, "M" => 1e6, "G" => 1e9, "T" => 1e12, "P" => 1e15, "E" => 1e18,
            "Ki" => 1024d, "Mi" => 1024d * 1024, "Gi" => 1024d * 1024 * 1024, "Ti" => Math.Pow(1024, 4), "Pi" => Math.Pow(1024, 5), "Ei" => Math.Pow(1024, 6),
            _ => 1d,
        });
    }
}
