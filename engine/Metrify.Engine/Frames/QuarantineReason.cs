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
        _ => reason.ToString(),
    };
}
