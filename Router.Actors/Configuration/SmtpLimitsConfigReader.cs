using Router.Actors.Routing;

namespace Router.Actors.Configuration;

/// <summary>Reads the edge limits of <c>router.smtp</c> (README "Limits"): line lengths, errors, DATA timeouts, in-flight bytes, postmaster.</summary>
internal static class SmtpLimitsConfigReader
{
    private const string Smtp = SmtpConfigReader.Key;

    /// <param name="maxMessageSizeRead">False when max-message-size was itself wrong: the in-flight check against it is skipped.</param>
    public static SmtpLimits Read(HoconReader reader, string hostname, long maxMessageSize, bool maxMessageSizeRead, ConfigErrors errors)
    {
        var commandKey = $"{Smtp}.max-command-line-length";
        var commandLine = errors.Read(
            () =>
            {
                var length = HoconReader.Int(reader.Required(commandKey), commandKey, 0);
                return length >= SmtpLimits.MinCommandLineLength
                    ? length
                    : throw new RouterConfigException(commandKey,
                        $"{length} is below {SmtpLimits.MinCommandLineLength}, the minimum RFC 5321 section 4.5.3.1.4 requires");
            },
            fallback: SmtpLimits.MinCommandLineLength);

        var textKey = $"{Smtp}.max-text-line-length";
        var textLine = errors.Read(
            () =>
            {
                var length = HoconReader.Int(reader.Required(textKey), textKey, 0);
                return length >= SmtpLimits.MinTextLineLength
                    ? length
                    : throw new RouterConfigException(textKey,
                        $"{length} is below {SmtpLimits.MinTextLineLength}, the minimum RFC 5321 section 4.5.3.1.6 requires");
            },
            fallback: SmtpLimits.MinTextLineLength);

        var inflightKey = $"{Smtp}.max-inflight-bytes";
        var inflight = errors.Read(
            () =>
            {
                var text = HoconReader.String(reader.Required(inflightKey), inflightKey);
                var bytes = text is "auto"
                    ? SmtpLimits.InflightMessagesAuto * maxMessageSize
                    : HoconReader.ByteSize(reader.Required(inflightKey), inflightKey, 0);
                return bytes >= maxMessageSize || !maxMessageSizeRead
                    ? bytes
                    : throw new RouterConfigException(inflightKey,
                        $"{bytes} is below max-message-size ({maxMessageSize}): a message of the largest size could never be received");
            },
            fallback: SmtpLimits.InflightMessagesAuto * maxMessageSize);

        var dataTimeoutRead = errors.TryRead(() => ConfigRules.Positive(reader, $"{Smtp}.data-timeout"), TimeSpan.MaxValue, out var dataTimeout);
        var dataTotalKey = $"{Smtp}.data-total-timeout";
        var dataTotalRead = errors.TryRead(() => ConfigRules.Positive(reader, dataTotalKey), TimeSpan.MaxValue, out var dataTotal);
        if (dataTimeoutRead && dataTotalRead && dataTotal < dataTimeout)
        {
            errors.Add(dataTotalKey, $"{dataTotal} is shorter than data-timeout ({dataTimeout})");
        }

        var postmasterKey = $"{Smtp}.postmaster";
        var postmaster = errors.Read(
            () =>
            {
                var mailbox = HoconReader.String(reader.Required(postmasterKey), postmasterKey)!
                    .Replace("{hostname}", hostname, StringComparison.Ordinal).Trim();
                var at = mailbox.LastIndexOf('@');
                return at <= 0 || RelayUnsafe(mailbox[..at]) || !DomainName.TryNormalize(mailbox[(at + 1)..], out _, out _)
                    ? throw new RouterConfigException(postmasterKey, $"\"{mailbox}\" is not a mailbox such as postmaster@corp.example")
                    : mailbox;
            },
            fallback: string.Empty);

        return new SmtpLimits
        {
            MaxConnectionsPerIp = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{Smtp}.max-connections-per-ip"), 1),
            MaxCommandLineLength = commandLine,
            MaxTextLineLength = textLine,
            MaxErrors = errors.Read(() => ConfigRules.AtLeastOne(reader, $"{Smtp}.max-errors"), 1),
            DataTimeout = dataTimeout,
            DataTotalTimeout = dataTotal,
            MaxInflightBytes = inflight,
            Postmaster = postmaster,
        };
    }

    private static bool RelayUnsafe(string localPart) =>
        localPart.Length == 0 || localPart.IndexOfAny(['%', '!', '@', '<', '>', ' ', '"']) >= 0;
}
