using System.Globalization;
using System.Net;
using System.Text;

namespace GitOpsSec.Reports;

/// <summary>
/// The one escaping layer per output format. Every name, namespace, path and message in a report can come
/// from a repository author, so each writer passes all text through here: a CSV cell never starts a formula,
/// Markdown never renders as HTML, a link, an image or a mention, and XML never carries a character XML 1.0
/// forbids.
/// </summary>
public static class OutputEscaping
{
    /// <summary>
    /// A CSV cell (RFC 4180 quoting). Text that a spreadsheet would read as a formula (first character
    /// =, +, -, @, TAB or CR, the OWASP "CSV injection" list) gets a leading single quote, so it stays a text
    /// cell; numbers stay numbers.
    /// </summary>
    public static string CsvCell(object? value)
    {
        string s = value switch
        {
            null => string.Empty,
            int or long or double or decimal or bool => Convert.ToString(value, CultureInfo.InvariantCulture)!,
            _ => NeutraliseFormula(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty),
        };
        return s.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }

    private static string NeutraliseFormula(string s) =>
        s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + s : s;

    /// <summary>
    /// Text for a Markdown table cell or paragraph (GitHub and GitLab comments) that renders as exactly that
    /// text: HTML is encoded (no tags, no comments), every Markdown punctuation character is backslash-escaped
    /// (no emphasis, links, images, code spans), line breaks and control characters become spaces, and an @ is
    /// followed by a zero-width space so that no user or team is mentioned.
    /// </summary>
    public static string MarkdownText(string? text)
    {
        var sb = new StringBuilder((text?.Length ?? 0) + 16);
        foreach (char c in text ?? string.Empty)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '@': sb.Append("@\u200B"); break;
                case '\\' or '`' or '*' or '_' or '{' or '}' or '[' or ']' or '(' or ')' or '#' or '+' or '-' or '.' or '!' or '|' or '~' or ':' or '$':
                    sb.Append('\\').Append(c);
                    break;
                default:
                    sb.Append(char.IsControl(c) ? ' ' : c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Text inside an HTML code element in Markdown (for paths and locations): HTML-encoded, pipes encoded for tables.</summary>
    public static string MarkdownCode(string? text) =>
        "<code>" + WebUtility.HtmlEncode(Printable(text)).Replace("|", "&#124;", StringComparison.Ordinal).Replace("@", "&#64;\u200B", StringComparison.Ordinal) + "</code>";

    /// <summary>Text valid in XML 1.0: characters XML forbids (most C0 controls, unpaired surrogates, U+FFFE/U+FFFF) become U+FFFD.</summary>
    public static string XmlText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool valid;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            valid = c is '\t' or '\n' or '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD);
            if (!valid && sb is null)
            {
                sb = new StringBuilder(text.Length).Append(text, 0, i);
            }
            sb?.Append(valid ? c : '\uFFFD');
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>A relative path as a URI reference (SARIF artifactLocation.uri): each segment percent-encoded, slashes kept.</summary>
    public static string UriPath(string? path) =>
        string.Join('/', (path ?? string.Empty).Replace('\\', '/').Split('/').Select(Uri.EscapeDataString));

    private static string Printable(string? text) =>
        string.Concat((text ?? string.Empty).Select(c => char.IsControl(c) ? ' ' : c));
}
