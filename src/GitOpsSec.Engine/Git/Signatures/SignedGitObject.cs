using System.Text;

namespace GitOpsSec.Git.Signatures;

/// <summary>
/// Splits raw commit and tag objects into the bytes that were signed and the signature, exactly as git
/// does (commit.c parse_buffer_signed_by_header, gpg-interface.c parse_signed_buffer), so that what is
/// verified is what git verifies: no bytes rebuilt from parsed fields, no text decoding of the payload.
/// </summary>
public static class SignedGitObject
{
    /// <summary>
    /// A commit: every "gpgsig" header (continuation lines included) is the signature, everything else the
    /// payload. Several gpgsig headers are concatenated, as git does, and then fail as a multi-block signature.
    /// Other "gpgsig…" headers (another hash algorithm's) are left out of the payload too.
    /// </summary>
    public static (byte[] Payload, string? Signature) SplitCommit(byte[] raw, string header = "gpgsig")
    {
        var payload = new MemoryStream(raw.Length);
        var signature = new MemoryStream();
        bool inSignature = false, otherSignature = false, saw = false;
        byte[] headerBytes = Encoding.ASCII.GetBytes(header + " ");
        byte[] anySig = Encoding.ASCII.GetBytes("gpgsig");
        int line = 0;
        while (line < raw.Length)
        {
            int nl = Array.IndexOf(raw, (byte)'\n', line);
            int next = nl < 0 ? raw.Length : nl + 1;
            int sig = -1;
            if (inSignature && raw[line] == (byte)' ')
            {
                sig = line + 1;
            }
            else if (StartsWith(raw, line, headerBytes))
            {
                sig = line + headerBytes.Length;
                otherSignature = false;
            }
            else if (StartsWith(raw, line, anySig))
            {
                otherSignature = true;
            }
            else if (otherSignature && raw[line] != (byte)' ')
            {
                otherSignature = false;
            }
            if (sig >= 0)
            {
                signature.Write(raw, sig, next - sig);
                saw = true;
                inSignature = true;
            }
            else
            {
                if (raw[line] == (byte)'\n')
                {
                    next = raw.Length; // the message: the rest of the object, verbatim
                }
                if (!otherSignature)
                {
                    payload.Write(raw, line, next - line);
                }
                inSignature = false;
            }
            line = next;
        }
        return (payload.ToArray(), saw ? Encoding.Latin1.GetString(signature.ToArray()) : null);
    }

    /// <summary>
    /// A tag object (or a tag recorded in a mergetag header): the signature starts at the last line that
    /// begins with a signature marker; the bytes before it are the payload.
    /// </summary>
    public static (byte[] Payload, string? Signature) SplitTag(byte[] raw)
    {
        int match = raw.Length;
        int line = 0;
        while (line < raw.Length)
        {
            if (SignatureVerdict.Markers.Any(m => StartsWith(raw, line, Encoding.ASCII.GetBytes(m))))
            {
                match = line;
            }
            int nl = Array.IndexOf(raw, (byte)'\n', line);
            line = nl < 0 ? raw.Length : nl + 1;
        }
        return match < raw.Length ? (raw[..match], Encoding.Latin1.GetString(raw, match, raw.Length - match)) : (raw, null);
    }

    /// <summary>The values of every header named <paramref name="name"/> in the object's header block, continuation lines unfolded (git's read_commit_extra_header_lines).</summary>
    public static List<byte[]> Headers(byte[] raw, string name)
    {
        var values = new List<byte[]>();
        byte[] prefix = Encoding.ASCII.GetBytes(name + " ");
        MemoryStream? current = null;
        int line = 0;
        while (line < raw.Length && raw[line] != (byte)'\n')
        {
            int nl = Array.IndexOf(raw, (byte)'\n', line);
            int next = nl < 0 ? raw.Length : nl + 1;
            if (raw[line] == (byte)' ')
            {
                current?.Write(raw, line + 1, next - line - 1);
            }
            else
            {
                if (current is not null)
                {
                    values.Add(current.ToArray());
                }
                current = null;
                if (StartsWith(raw, line, prefix))
                {
                    current = new MemoryStream();
                    current.Write(raw, line + prefix.Length, next - line - prefix.Length);
                }
            }
            line = next;
        }
        if (current is not null)
        {
            values.Add(current.ToArray());
        }
        return values;
    }

    /// <summary>The first value of a one-line header (object, type, tag, parent…) as text, without its newline.</summary>
    public static string? Header(byte[] raw, string name) =>
        Headers(raw, name).FirstOrDefault() is byte[] v ? Encoding.UTF8.GetString(v).TrimEnd('\n') : null;

    private static bool StartsWith(byte[] data, int at, byte[] prefix)
    {
        if (data.Length - at < prefix.Length)
        {
            return false;
        }
        return data.AsSpan(at, prefix.Length).SequenceEqual(prefix);
    }
}
