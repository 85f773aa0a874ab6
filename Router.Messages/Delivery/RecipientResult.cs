using System.Text.Json.Serialization;

namespace Router.Messages.Delivery;

/// <summary>What the firewall said for one recipient of a part.</summary>
/// <param name="RecipientIndex">Index into the envelope's recipients.</param>
/// <param name="Code">The SMTP reply code (250, 451, 550, ...); 0 when no reply was received.</param>
/// <param name="Reply">The reply text, for logs and DSNs.</param>
public sealed record RecipientResult(int RecipientIndex, int Code, string Reply) : IRouterProtocol
{
    [JsonIgnore]
    public bool Delivered => Code is >= 200 and < 300;
    [JsonIgnore]
    public bool Permanent => Code is >= 500 and < 600;
}
