namespace Router.Actors.Spool;

/// <summary>What recovery found: segments oldest first, live messages, and the highest segment number seen.</summary>
internal sealed record SpoolRecoveryResult(List<SpoolSegment> Segments, Dictionary<string, SpoolEntry> Messages, long LastSegmentId);
