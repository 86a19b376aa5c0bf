package raftkv.server;

import java.util.Map;

/**
 * What {@code GET /status} reports, published by the event loop after every turn so that readers
 * never wait for it.
 *
 * @param lastIndex the index of the last entry in this node's log (compacted entries count)
 * @param matchIndex per peer, on the leader only (empty otherwise)
 * @param snapshotIndex the last index of the latest snapshot (0: none)
 * @param logEntries log entries held in memory (those after the compacted prefix)
 * @param keys ids in the map, as of {@code lastApplied}
 * @param stateBytes the map's estimated heap cost, which the quota bounds ({@link raftkv.core.StateQuota})
 * @param stateQuotaBytes the quota ({@code --max-state-bytes}); shown so that a node started with
 *     another one than its peers stands out
 */
public record NodeStatus(
        String id,
        String role,
        long term,
        String leader,
        long commitIndex,
        long lastApplied,
        long lastIndex,
        long lastLogTerm,
        Map<String, Long> matchIndex,
        long snapshotIndex,
        long logEntries,
        long keys,
        long stateBytes,
        long stateQuotaBytes) {}
