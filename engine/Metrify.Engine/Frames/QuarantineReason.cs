namespace Metrify.Engine.Frames;

/// <summary>Why a record went to <c>quarantine</c>. The lower-case code is what the table stores (docs/schema.md).</summary>
public enum QuarantineReason : byte
{
    /// <summary>The record's structure is broken: wrong field count, unterminated quote, invalid JSON.</summary>
    BrokenRecord,
    /// <summary>A numeric field is not a finite decimal number.</summary>
    BadNumber,
    /// <summary>A timestamp field is not an ISO 8601 instant or names an impossible date.</summary>
    BadTimestamp,
    /// <summary>A required field (key or timestamp) is empty or null.</summary>
    MissingValue,
    /// <summary>A JSON value has the wrong type for its column (an object where a number belongs).</summary>
    WrongType,
    /// <summary>The record is longer than the configured maximum record size.</summary>
    Oversized,
    /// <summary>The bytes are not valid UTF-8 text.</summary>
    InvalidText,
    /// <summary>A meter frame's checksum (CRC-16 of a P1 telegram, X-25 of an SML frame or message) does not match.</summary>
    BadChecksum,
    /// <summary>A meter frame ended early: the next frame started, or the input ended, before its end marker.</summary>
    TruncatedFrame,
    /// <summary>A meter frame's structure is broken (bad escape, bad TL field, a list that overruns the frame).</summary>
    MalformedFrame,
    /// <summary>An encrypted frame did not authenticate: wrong key or damaged bytes (AES-GCM tag mismatch).</summary>
    DecryptionFailed,
    /// <summary>An encrypted frame from a system title no key is configured for.</summary>
    NoKey,
}

public static class QuarantineReasons
{
    public static readonly int Count = Enum.GetValues<QuarantineReason>().Length;

    public static string Code(QuarantineReason reason) => reason switch
    {
        QuarantineReason.BrokenRecord => "broken_record",
        QuarantineReason.BadNumber => "bad_number",
        QuarantineReason.BadTimestamp => "bad_timestamp",
        QuarantineReason.MissingValue => "missing_value",
        QuarantineReason.WrongType => "wrong_type",
        QuarantineReason.Oversized => "oversized_record",
        QuarantineReason.InvalidText => "invalid_text",
        QuarantineReason.BadChecksum => "bad_checksum",
        QuarantineReason.TruncatedFrame => "truncated_frame",
        QuarantineReason.MalformedFrame => "malformed_frame",
        QuarantineReason.DecryptionFailed => "decryption_failed",
        QuarantineReason.NoKey => "no_key",
        _ => reason.ToString(),
    };
}
