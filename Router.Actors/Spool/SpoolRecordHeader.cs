namespace Router.Actors.Spool;

/// <summary>The fixed header in front of every record of a segment.</summary>
internal readonly record struct SpoolRecordHeader(uint Magic, uint PayloadLength, uint Checksum, byte Type);
