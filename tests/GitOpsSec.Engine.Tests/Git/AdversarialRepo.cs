using System.Diagnostics;
using System.Text;
using GitOpsSec.Tests.Shared;

namespace GitOpsSec.Engine.Tests.Git;

/// <summary>
/// Byte-exact plumbing for adversarial repositories: raw objects in and out of git (no text decoding),
/// commits built from a payload and a signature header the way git writes them, and git's own verdicts.
/// </summary>
public static class AdversarialRepo
{
    /// <summary>Runs a program with binary standard input and output.</summary>
    public static byte[] RunBytes(string exe, IEnumerable<string> args, string cwd, IReadOnlyDictionary<string, string>? env = null, byte[]? input = null)
    {
        var start = new ProcessStartInfo(exe) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }
        using var p = Process.Start(start)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        var output = new MemoryStream();
        Task copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        if (input is not null)
        {
            p.StandardInput.BaseStream.Write(input);
        }
        p.StandardInput.Close();
        copy.Wait();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({p.ExitCode}): {error.Result}");
        }
        return output.ToArray();
    }

    public static byte[] CatFile(GitRepo repo, string type, string sha) => RunBytes("git", new[] { "cat-file", type, sha }, repo.Path);

    /// <summary>Writes a raw object (any bytes, unchecked) and returns its id.</summary>
    public static string HashObject(GitRepo repo, string type, byte[] raw) =>
        Encoding.ASCII.GetString(RunBytes("git", new[] { "hash-object", "-t", type, "-w", "--literally", "--stdin" }, repo.Path, input: raw)).Trim();

    /// <summary>An unsigned commit of the current index on top of HEAD (or the given parents), not moving any ref.</summary>
    public static byte[] UnsignedCommit(GitRepo repo, string message, params string[] parents)
    {
        string tree = repo.Git("write-tree").Trim();
        var args = new List<string> { "commit-tree", tree };
        foreach (string p in parents.Length > 0 ? parents : new[] { repo.Git("rev-parse", "HEAD").Trim() })
        {
            args.Add("-p");
            args.Add(p);
        }
        args.Add("-m");
        args.Add(message);
        return CatFile(repo, "commit", repo.Git(args.ToArray()).Trim());
    }

    /// <summary>The commit with <paramref name="headerName"/> headers carrying <paramref name="signatures"/> inserted after its last header line, as git writes gpgsig.</summary>
    public static byte[] WithSignatureHeaders(byte[] payload, string headerName, params string[] signatures)
    {
        int end = IndexOf(payload, "\n\n"u8.ToArray());
        var header = new StringBuilder();
        foreach (string signature in signatures)
        {
            string[] lines = signature.TrimEnd('\n').Split('\n');
            header.Append(headerName).Append(' ').Append(lines[0]).Append('\n');
            foreach (string line in lines.Skip(1))
            {
                header.Append(' ').Append(line).Append('\n');
            }
        }
        return payload[..(end + 1)].Concat(Encoding.ASCII.GetBytes(header.ToString())).Concat(payload[(end + 1)..]).ToArray();
    }

    public static int IndexOf(byte[] data, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= data.Length; i++)
        {
            if (data.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>git's %G? for each commit id, with the given environment (GNUPGHOME) and config.</summary>
    public static Dictionary<string, string> GitLetters(GitRepo repo, IReadOnlyDictionary<string, string> env, IEnumerable<string> commits, params string[] config)
    {
        var letters = new Dictionary<string, string>();
        foreach (string sha in commits)
        {
            var args = config.Concat(new[] { "log", "-1", "--format=%G?", sha }).ToArray();
            var (exit, output, error) = Proc.Run("git", args, repo.Path, env);
            letters[sha] = exit == 0 ? output.Trim() : $"git failed: {error}";
        }
        return letters;
    }
}
