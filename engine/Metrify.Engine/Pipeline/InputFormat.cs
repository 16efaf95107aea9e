namespace Metrify.Engine.Pipeline;

public enum InputFormat
{
    Csv,
    JsonLines,
    /// <summary>DSMR P1 / IEC 62056-21 telegrams (.p1, .txt captures).</summary>
    P1,
    /// <summary>SML transport frames (.bin captures, or hex dumps).</summary>
    Sml,
    /// <summary>DLMS-encrypted P1 frames (Luxembourg Smarty).</summary>
    EncryptedP1,
}
