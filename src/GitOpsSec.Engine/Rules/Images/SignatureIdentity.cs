using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using GitOpsSec.Diagnostics;

namespace GitOpsSec.Rules.Images;

/// <summary>
/// How strongly an admission policy ties an image to its signer, weakest first. The order is the order an
/// attacker meets them: every policy that matches must pass, so the strongest one decides.
/// </summary>
public enum SignatureTrust
{
    /// <summary>No policy verifies the image at admission.</summary>
    NotVerified = 0,

    /// <summary>A signature is checked, but anyone can make one that passes (any keyless identity, a placeholder key, a static pass).</summary>
    Unconstrained = 1,

    /// <summary>Only the named key, certificate or keyless identity (fixed issuer, subject naming the builder) passes.</summary>
    Constrained = 2,

    /// <summary>The image is not admitted at all (a static fail authority, policy-controller's no-match-policy deny).</summary>
    Rejected = 3,
}

/// <summary>One way a policy accepts a signature: how strong it is and what it is, for messages.</summary>
public readonly record struct SignatureAttestor(SignatureTrust Trust, string Description)
{
    public override string ToString() => Description;
}

/// <summary>
/// Judges the identities an image-verification policy trusts: keyless issuers and subjects (Kyverno's
/// wildcards, policy-controller's exact strings, both tools' Go regular expressions, which search unanchored),
/// and static keys and certificates (parsed, never printed).
/// </summary>
internal static class SignatureIdentity
{
    // An identity an attacker can obtain from a public issuer: a workflow in their own GitHub repository, with a
    // branch name of their choosing (branch names may hold '/', '.' and '@'), and a mailbox of their own.
    private static readonly string[] AttackerIdentities =
    {
        "https://github.com/gitopssec-probe/forged/.github/workflows/release.yml@refs/heads/main",
        "https://gitlab.com/gitopssec-probe/forged//.gitlab-ci.yml@refs/heads/main",
        "probe@gitopssec-attacker.invalid",
    };

    private static readonly string[] AttackerIssuers = { "https://gitopssec-attacker.invalid", "https://gitopssec-attacker.invalid/oidc" };

    // scheme://host/owner/ : a subject that names at least the owner (organisation, group) of the builder.
    private static readonly Regex NamesOwner = new(@"^[a-z][a-z0-9+.\-]*://[^/]+/[^/]+/", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.NonBacktracking);

    // scheme://host followed by '/' or the end: an issuer fixed to one server.
    private static readonly Regex NamesHost = new(@"^[a-z][a-z0-9+.\-]*://[^/*?]+(/|$)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.NonBacktracking);

    private static readonly Regex EmailDomain = new(@"^\*@[a-z0-9.\-]+\.[a-z]{2,}$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.NonBacktracking);

    /// <summary>
    /// A keyless identity: the issuer and subject as Kyverno (wildcards <c>*</c>, <c>?</c>) or policy-controller
    /// (exact strings) match them, or regular expressions. Constrained only when the issuer is fixed and the
    /// subject names the builder.
    /// </summary>
    public static SignatureAttestor Keyless(string? issuer, string? issuerRegExp, string? subject, string? subjectRegExp, bool wildcards)
    {
        string who = Describe(issuer, issuerRegExp, subject, subjectRegExp);
        string? issuerProblem = IssuerProblem(issuer, issuerRegExp, wildcards);
        string? subjectProblem = SubjectProblem(subject, subjectRegExp, wildcards, issuer);
        return issuerProblem is null && subjectProblem is null
            ? new SignatureAttestor(SignatureTrust.Constrained, $"keyless {who}")
            : new SignatureAttestor(SignatureTrust.Unconstrained, $"keyless {who}: {string.Join("; ", new[] { issuerProblem, subjectProblem }.Where(p => p is not null))}");
    }

    private static string Describe(string? issuer, string? issuerRegExp, string? subject, string? subjectRegExp)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(issuer)) parts.Add($"issuer '{issuer}'");
        if (!string.IsNullOrEmpty(issuerRegExp)) parts.Add($"issuerRegExp '{issuerRegExp}'");
        if (!string.IsNullOrEmpty(subject)) parts.Add($"subject '{subject}'");
        if (!string.IsNullOrEmpty(subjectRegExp)) parts.Add($"subjectRegExp '{subjectRegExp}'");
        return parts.Count == 0 ? "with no identity" : string.Join(", ", parts);
    }

    private static string? IssuerProblem(string? issuer, string? issuerRegExp, bool wildcards)
    {
        if (string.IsNullOrEmpty(issuer) && string.IsNullOrEmpty(issuerRegExp))
        {
            return "no issuer, so any OIDC issuer Fulcio accepts will do";
        }
        if (!string.IsNullOrEmpty(issuer) && wildcards && (issuer.Contains('*') || issuer.Contains('?')) && !NamesHost.IsMatch(LiteralPrefixOfWildcard(issuer)))
        {
            return $"issuer '{issuer}' is a wildcard that does not fix the server";
        }
        if (!string.IsNullOrEmpty(issuerRegExp))
        {
            // Fulcio certifies only the issuers it is configured for, so an unanchored issuer expression is a lesser risk
            // than an unanchored subject: it must still name a server and refuse an attacker's issuer.
            if (RegexProblem(issuerRegExp, NamesHost, AttackerIssuers, requireAnchor: false) is string problem)
            {
                return $"issuerRegExp {problem}";
            }
        }
        return null;
    }

    private static string? SubjectProblem(string? subject, string? subjectRegExp, bool wildcards, string? issuer)
    {
        if (string.IsNullOrEmpty(subject) && string.IsNullOrEmpty(subjectRegExp))
        {
            return "no subject, so any identity the issuer vouches for will do";
        }
        if (!string.IsNullOrEmpty(subject) && wildcards && (subject.Contains('*') || subject.Contains('?')))
        {
            bool mailDomain = EmailDomain.IsMatch(subject) && !string.IsNullOrEmpty(issuer) && !IsCiIssuer(issuer);
            if (!mailDomain && (!NamesOwner.IsMatch(LiteralPrefixOfWildcard(subject)) || AttackerIdentities.Any(a => BoundedPattern.Wildcard(subject, a))))
            {
                return $"subject '{subject}' is a wildcard that does not name the builder's owner (scheme://host/owner/...)";
            }
        }
        if (!string.IsNullOrEmpty(subjectRegExp))
        {
            if (RegexProblem(subjectRegExp, NamesOwner, AttackerIdentities, requireAnchor: true) is string problem)
            {
                return $"subjectRegExp {problem}";
            }
        }
        return null;
    }

    // CI issuers put a URI in the subject, whose ref part an attacker names: an email-domain wildcard is no bound there.
    private static bool IsCiIssuer(string issuer) =>
        issuer.Contains("token.actions.githubusercontent.com", StringComparison.OrdinalIgnoreCase) ||
        issuer.Contains("gitlab", StringComparison.OrdinalIgnoreCase);

    private static string LiteralPrefixOfWildcard(string pattern)
    {
        int cut = pattern.IndexOfAny(new[] { '*', '?' });
        return cut < 0 ? pattern : pattern[..cut];
    }

    /// <summary>
    /// Why a Go regular expression (matched unanchored, as regexp.MatchString does) does not bound an identity:
    /// every alternative must be anchored with ^ and start with a literal that <paramref name="shape"/> accepts,
    /// and no attacker probe may match. Null when it is bounded.
    /// </summary>
    private static string? RegexProblem(string regex, Regex shape, string[] probes, bool requireAnchor)
    {
        Regex compiled;
        try
        {
            compiled = BoundedPattern.Compile(regex);
        }
        catch (ArgumentException)
        {
            return $"'{regex}' is not a valid regular expression, so verification cannot pass as written";
        }
        foreach (string alternative in TopLevelAlternatives(regex))
        {
            bool anchored = alternative.StartsWith('^') || alternative.StartsWith(@"\A", StringComparison.Ordinal);
            if (!anchored && requireAnchor)
            {
                return $"'{regex}' is not anchored with ^, and Go's regexp.MatchString finds it anywhere in an identity";
            }
            string prefix = LiteralPrefixOfRegex(anchored ? alternative[(alternative[0] == '^' ? 1 : 2)..] : alternative, out bool wholeLiteral);
            if (!wholeLiteral && !shape.IsMatch(prefix))
            {
                return $"'{regex}' does not start with a fixed {(ReferenceEquals(shape, NamesHost) ? "server (scheme://host/)" : "owner (scheme://host/owner/)")}";
            }
        }
        try
        {
            if (probes.Any(compiled.IsMatch))
            {
                return $"'{regex}' matches an identity anyone can obtain";
            }
        }
        catch (RegexMatchTimeoutException)
        {
            return $"'{regex}' is too costly to decide";
        }
        return null;
    }

    /// <summary>The alternatives of a regular expression at the top level (| outside groups and classes).</summary>
    internal static IEnumerable<string> TopLevelAlternatives(string regex)
    {
        int depth = 0, start = 0;
        bool inClass = false;
        for (int i = 0; i < regex.Length; i++)
        {
            char c = regex[i];
            if (c == '\\')
            {
                i++;
                continue;
            }
            if (inClass)
            {
                inClass = c != ']';
                continue;
            }
            switch (c)
            {
                case '[': inClass = true; break;
                case '(': depth++; break;
                case ')': depth--; break;
                case '|' when depth == 0:
                    yield return regex[start..i];
                    start = i + 1;
                    break;
            }
        }
        yield return regex[start..];
    }

    /// <summary>
    /// The characters every match of an anchored alternative starts with: literals, escaped punctuation, and a lone
    /// '.' (one unknown character, which cannot be '/' only by luck, so it is kept as '.'). It stops at the first
    /// class, group, alternation or repetition; a character a quantifier makes optional is dropped.
    /// <paramref name="wholeLiteral"/>: the alternative is literal up to a final $.
    /// </summary>
    internal static string LiteralPrefixOfRegex(string body, out bool wholeLiteral)
    {
        var prefix = new System.Text.StringBuilder();
        wholeLiteral = false;
        int i = 0;
        while (i < body.Length)
        {
            char c = body[i];
            string? next = null;
            int width = 1;
            if (c == '\\' && i + 1 < body.Length && !char.IsLetterOrDigit(body[i + 1]))
            {
                next = body[i + 1].ToString();
                width = 2;
            }
            else if (c == '$' && i == body.Length - 1)
            {
                wholeLiteral = true;
                break;
            }
            else if (c == '.' || (!"\\[](){}|*+?^$".Contains(c)))
            {
                next = c.ToString();
            }
            if (next is null)
            {
                break;
            }
            char after = i + width < body.Length ? body[i + width] : '\0';
            if (after is '*' or '?' || (after == '{' && i + width + 1 < body.Length && body[i + width + 1] == '0'))
            {
                break; // this character may be absent
            }
            prefix.Append(next);
            if (after == '+' || after == '{')
            {
                break; // present, but what follows repeats
            }
            i += width;
        }
        return prefix.ToString();
    }

    /// <summary>
    /// Kyverno's keys.publicKeys (or policy-controller's key.data): PEM public keys, one attestor each, as Kyverno
    /// counts them. A variable ({{ }}) or a k8s:// Secret reference is a key held elsewhere; anything else that is
    /// not a public key (a placeholder, a truncated block, a private key) cannot be the key that was meant.
    /// </summary>
    public static IReadOnlyList<SignatureAttestor> PublicKeys(string? text)
    {
        string value = text?.Trim() ?? string.Empty;
        if (value.Contains("{{", StringComparison.Ordinal))
        {
            return new[] { new SignatureAttestor(SignatureTrust.Constrained, "a public key from a policy variable (not in the repository)") };
        }
        if (value.StartsWith("k8s://", StringComparison.Ordinal))
        {
            return new[] { new SignatureAttestor(SignatureTrust.Constrained, $"the public key in Secret {value["k8s://".Length..]}") };
        }
        var keys = new List<SignatureAttestor>();
        foreach (var (label, der) in PemBlocks(value))
        {
            keys.Add(label switch
            {
                "PUBLIC KEY" when DescribePublicKey(der) is string what => new SignatureAttestor(SignatureTrust.Constrained, $"public key ({what})"),
                "PUBLIC KEY" => new SignatureAttestor(SignatureTrust.Unconstrained, "a PUBLIC KEY block that is not a public key (a placeholder?)"),
                _ when label.Contains("PRIVATE", StringComparison.Ordinal) => new SignatureAttestor(SignatureTrust.Unconstrained, "a private key where a public key belongs (treat it as leaked)"),
                _ => new SignatureAttestor(SignatureTrust.Unconstrained, $"a {label} block where a public key belongs"),
            });
        }
        if (keys.Count == 0)
        {
            keys.Add(new SignatureAttestor(SignatureTrust.Unconstrained, value.Length == 0 ? "an empty key" : "a key that is not PEM (a placeholder?)"));
        }
        return keys;
    }

    /// <summary>A certificate attestor: constrained when a PEM certificate (or chain) parses.</summary>
    public static SignatureAttestor Certificates(string? cert, string? chain)
    {
        foreach (string? text in new[] { cert, chain })
        {
            if (text?.Contains("{{", StringComparison.Ordinal) == true)
            {
                return new SignatureAttestor(SignatureTrust.Constrained, "a certificate from a policy variable (not in the repository)");
            }
            foreach (var (label, der) in PemBlocks(text ?? string.Empty))
            {
                if (label == "CERTIFICATE")
                {
                    try
                    {
                        using var parsed = new X509Certificate2(der);
                        return new SignatureAttestor(SignatureTrust.Constrained, $"certificate '{parsed.Subject}'");
                    }
                    catch (CryptographicException)
                    {
                        // try the next block
                    }
                }
            }
        }
        return new SignatureAttestor(SignatureTrust.Unconstrained, "a certificate attestor with no parseable certificate (a placeholder?)");
    }

    private static string? DescribePublicKey(byte[] der)
    {
        try
        {
            PublicKey key = PublicKey.CreateFromSubjectPublicKeyInfo(der, out int read);
            if (read != der.Length)
            {
                return null;
            }
            return key.Oid.Value switch
            {
                "1.2.840.10045.2.1" => "ECDSA",
                "1.2.840.113549.1.1.1" => "RSA",
                "1.3.101.112" => "Ed25519",
                _ => key.Oid.FriendlyName ?? key.Oid.Value,
            };
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The PEM blocks of a text: label and DER bytes (empty when the body is not base64). Linear: IndexOf, no regular expression.</summary>
    private static IEnumerable<(string Label, byte[] Der)> PemBlocks(string text)
    {
        const string Begin = "-----BEGIN ";
        int at = 0;
        while ((at = text.IndexOf(Begin, at, StringComparison.Ordinal)) >= 0)
        {
            int labelEnd = text.IndexOf("-----", at + Begin.Length, StringComparison.Ordinal);
            if (labelEnd < 0 || labelEnd - at - Begin.Length > 40)
            {
                yield break;
            }
            string label = text[(at + Begin.Length)..labelEnd];
            string endMarker = $"-----END {label}-----";
            int bodyStart = labelEnd + 5;
            int end = text.IndexOf(endMarker, bodyStart, StringComparison.Ordinal);
            if (end < 0)
            {
                yield return (label, Array.Empty<byte>());
                yield break;
            }
            byte[] der;
            try
            {
                der = Convert.FromBase64String(string.Concat(text[bodyStart..end].Where(c => !char.IsWhiteSpace(c))));
            }
            catch (FormatException)
            {
                der = Array.Empty<byte>();
            }
            yield return (label, der);
            at = end + endMarker.Length;
        }
    }
}
