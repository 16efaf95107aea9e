using System.Globalization;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// AES-128 keys of encrypted P1 meters, by DLMS system title (the 8 bytes every frame starts with, as 16 hex digits),
/// with "*" as the key for any title not listed. Each key has an authentication key that goes into the GCM
/// additional data; Luxembourg Smarty meters all use 00112233445566778899AABBCCDDEEFF, which is the default.
/// </summary>
public sealed class MeterKeyring
{
    public static readonly byte[] SmartyAuthenticationKey = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");
    public static MeterKeyring Empty { get; } = new(new Dictionary<string, (byte[], byte[])>());

    private readonly Dictionary<string, (byte[] Key, byte[] AuthenticationKey)> _keys;

    private MeterKeyring(Dictionary<string, (byte[], byte[])> keys) => _keys = keys;

    public bool TryGet(ReadOnlySpan<byte> systemTitle, out byte[] key, out byte[] authenticationKey)
    {
        if (_keys.TryGetValue(Convert.ToHexString(systemTitle), out var k) || _keys.TryGetValue("*", out k))
        {
            (key, authenticationKey) = k;
            return true;
        }
        key = authenticationKey = [];
        return false;
    }

    /// <summary>
    /// Reads a key file (lines <c>SYSTEM_TITLE KEY [AUTHENTICATION_KEY]</c>, hex, <c>*</c> for any title, <c>#</c>
    /// comments) and the environment: <c>METRIFY_P1_KEY</c> for any title, <c>METRIFY_P1_KEY_&lt;TITLE&gt;</c> for one.
    /// Problems are operator errors naming the file and line or the variable.
    /// </summary>
    public static MeterKeyring Load(string? keyFile, IDictionary<string, string?> environment)
    {
        var keys = new Dictionary<string, (byte[], byte[])>(StringComparer.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(keyFile))
        {
            string[] lines;
            try { lines = File.ReadAllLines(keyFile); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new Pipeline.OperatorException($"Frames:KeyFile: {keyFile} cannot be read ({e.Message})");
            }
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line[0] == '#') continue;
                var parts = line.Split((char[])[' ', '\t', ',', ';'], StringSplitOptions.RemoveEmptyEntries);
                string where = $"Frames:KeyFile {keyFile} line {i + 1}";
                if (parts.Length is < 2 or > 3) throw new Pipeline.OperatorException($"{where}: expected 'SYSTEM_TITLE KEY [AUTHENTICATION_KEY]'");
                if (parts[0] != "*" && (parts[0].Length != 16 || !IsHex(parts[0])))
                    throw new Pipeline.OperatorException($"{where}: the system title must be 16 hex digits or *");
                keys[parts[0].ToUpperInvariant()] = (Key(parts[1], where), parts.Length == 3 ? Key(parts[2], where) : SmartyAuthenticationKey);
            }
        }
        foreach (var (name, value) in environment)
        {
            if (value is null || !name.StartsWith("METRIFY_P1_KEY", StringComparison.Ordinal)) continue;
            string title = name.Length == "METRIFY_P1_KEY".Length ? "*" : name["METRIFY_P1_KEY_".Length..].ToUpperInvariant();
            if (title != "*" && (title.Length != 16 || !IsHex(title)))
                throw new Pipeline.OperatorException($"{name}: the name must end in a 16-hex-digit system title");
            keys[title] = (Key(value, name), SmartyAuthenticationKey);
        }
        return new MeterKeyring(keys);
    }

    private static byte[] Key(string hex, string where) =>
        hex.Length == 32 && IsHex(hex) ? Convert.FromHexString(hex)
            : throw new Pipeline.OperatorException($"{where}: a key must be 32 hex digits (AES-128)");

    private static bool IsHex(string s) => s.All(c => char.IsAsciiHexDigit(c));

    /// <summary>The keys from the process environment (for callers without a configuration system).</summary>
    public static IDictionary<string, string?> ProcessEnvironment()
    {
        var env = new Dictionary<string, string?>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value;
        return env;
    }
}
