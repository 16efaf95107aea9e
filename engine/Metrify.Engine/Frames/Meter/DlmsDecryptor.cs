using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Metrify.Engine.Frames.Meter;

/// <summary>
/// Decrypts DLMS general-glo-ciphering frames (AES-128-GCM, 12-byte tag): IV = system title ‖ invocation counter,
/// additional data = security control byte ‖ authentication key. One <see cref="AesGcm"/> per key, reused.
/// </summary>
public sealed class DlmsDecryptor(MeterKeyring keys, int maxFrameBytes)
{
    private const int TagBytes = 12;
    private readonly Dictionary<ulong, (AesGcm Aes, byte[] Aad)> _ciphers = new();
    private readonly byte[] _plain = new byte[maxFrameBytes];

    public bool TryDecrypt(ReadOnlySpan<byte> frame, int header, out ReadOnlySpan<byte> plaintext, out QuarantineReason reason, out string detail)
    {
        plaintext = default;
        reason = QuarantineReason.MalformedFrame;
        var title = frame.Slice(2, 8);
        byte security = frame[header];
        if (security != 0x30)
        {
            detail = $"security control byte {security:X2} is not 30 (authenticated and encrypted)";
            return false;
        }
        ulong titleKey = BinaryPrimitives.ReadUInt64BigEndian(title);
        if (!_ciphers.TryGetValue(titleKey, out var cipher))
        {
            if (!keys.TryGet(title, out var key, out var authKey))
            {
                reason = QuarantineReason.NoKey;
                detail = $"no key for system title {Convert.ToHexString(title)} (set Frames:KeyFile or METRIFY_P1_KEY)";
                return false;
            }
            var aad = new byte[17];
            aad[0] = 0x30;
            authKey.CopyTo(aad, 1);
            cipher = (new AesGcm(key, TagBytes), aad);
            _ciphers[titleKey] = cipher;
        }
        Span<byte> nonce = stackalloc byte[12];
        title.CopyTo(nonce);
        frame.Slice(header + 1, 4).CopyTo(nonce[8..]);
        var body = frame[(header + 5)..];
        var ciphertext = body[..^TagBytes];
        var output = _plain.AsSpan(0, ciphertext.Length);
        try
        {
            cipher.Aes.Decrypt(nonce, ciphertext, body[^TagBytes..], output, cipher.Aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            reason = QuarantineReason.DecryptionFailed;
            detail = $"AES-GCM tag does not authenticate (wrong key for system title {Convert.ToHexString(title)}, or damaged frame)";
            return false;
        }
        plaintext = output;
        detail = "";
        reason = default;
        return true;
    }
}
