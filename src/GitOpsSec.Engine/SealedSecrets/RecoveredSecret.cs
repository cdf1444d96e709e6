using System.Collections;
using System.Security;
using System.Text;

namespace GitOpsSec.SealedSecrets;

/// <summary>
/// A Secret recovered from a SealedSecret with the controller's private keys. Data maps each key to
/// a SecureString unless plain text was asked for; binary values that are not UTF-8 are held as base64
/// (their keys are in BinaryKeys). ToString never shows a value.
/// </summary>
public sealed class RecoveredSecret
{
    public RecoveredSecret(SealedSecret source, IReadOnlyDictionary<string, byte[]> values, bool asPlainText)
    {
        Name = source.Name;
        Namespace = source.Namespace;
        Scope = source.Scope;
        Type = source.TemplateType;
        Labels = new Hashtable(source.TemplateLabels);
        Annotations = new Hashtable(source.TemplateAnnotations);
        Keys = values.Keys.ToArray();
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var binary = new List<string>();
        Data = new Hashtable(StringComparer.Ordinal);
        foreach (var (key, bytes) in values)
        {
            string text;
            try
            {
                text = utf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                binary.Add(key);
                text = Convert.ToBase64String(bytes);
            }
            if (asPlainText)
            {
                // A copy: the caller wipes the decrypted buffers once the object is written, and the user's value must survive that.
                Data[key] = binary.Contains(key) ? bytes.ToArray() : text;
            }
            else
            {
                var secure = new SecureString();
                foreach (char c in text)
                {
                    secure.AppendChar(c);
                }
                secure.MakeReadOnly();
                Data[key] = secure;
            }
        }
        BinaryKeys = binary.ToArray();
    }

    public string Name { get; }
    public string? Namespace { get; }
    public SealingScope Scope { get; }
    public string Type { get; }
    public Hashtable Labels { get; }
    public Hashtable Annotations { get; }
    public string[] Keys { get; }
    public string[] BinaryKeys { get; }

    /// <summary>Key to SecureString (default) or string / byte[] (with -AsPlainText).</summary>
    public Hashtable Data { get; }

    public override string ToString() => $"Secret {Namespace}/{Name} ({string.Join(", ", Keys)})";
}
