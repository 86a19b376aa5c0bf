package raftkv.server;

import java.util.Map;
import java.util.Set;
import raftkv.core.ClusterConfig;

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
 * @param configuration the latest configuration in this node's log, the one it uses (§4.1)
 * @param lostData on the leader, the followers found to have lost their data (they are sent nothing more)
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
        long stateQuotaBytes,
        ClusterConfig configuration,
        Set<String> lostData) {

    public NodeStatus {
        lostData = Set.copyOf(lostData);
    }

    /** A status without a configuration (tests of what does not depend on it). */
    public NodeStatus(String id, String role, long term, String leader, long commitIndex, long lastApplied,
            long logSize, long lastLogTerm, Map<String, Long> matchIndex, long snapshotIndex, long logEntries,
            long keys, long stateBytes, long stateQuotaBytes) {
        this(id, role, term, leader, commitIndex, lastApplied, logSize, lastLogTerm, matchIndex, snapshotIndex,
                logEntries, keys, stateBytes, stateQuotaBytes, ClusterConfig.EMPTY, Set.of());
    }
}
