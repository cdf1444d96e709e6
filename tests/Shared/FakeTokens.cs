using System.Text;

namespace GitOpsSec.Tests.Shared;

/// <summary>
/// Fake credentials in real formats for tests (never valid anywhere). The GitHub checksum is computed
/// here independently of the engine (bitwise CRC-32, base62 0-9A-Za-z) so the two cross-check.
/// </summary>
public static class FakeTokens
{
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string GitHub(int seed, string prefix = "ghp_")
    {
        var random = new Random(seed);
        string body = new(Enumerable.Range(0, 30).Select(_ => Alnum[random.Next(Alnum.Length)]).ToArray());
        uint crc = 0xFFFFFFFF;
        foreach (byte b in Encoding.ASCII.GetBytes(body))
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
            }
        }
        crc = ~crc;
        var check = new char[6];
        for (int i = 5; i >= 0; i--)
        {
            check[i] = Base62[(int)(crc % 62)];
            crc /= 62;
        }
        return prefix + body + new string(check);
    }
}
