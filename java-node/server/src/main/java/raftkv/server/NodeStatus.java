package raftkv.server;

import java.util.Map;

/**
 * What {@code GET /status} reports, published by the event loop after every turn so that readers
 * never wait for it.
 *
 * @param matchIndex per peer, on the leader only (empty otherwise)
 * @param snapshotIndex the last index of the latest snapshot (0: none)
 * @param logEntries log entries held in memory (those after the compacted prefix)
 */
public record NodeStatus(
        String id,
        String role,
        long term,
        String leader,
        long commitIndex,
        long lastApplied,
        long logSize,
        long lastLogTerm,
        Map<String, Long> matchIndex,
        long snapshotIndex,
        long logEntries) {}
