package raftkv.core;

import java.util.Map;
import java.util.SortedSet;

/**
 * A snapshot of a node's Raft state for operators (the server's {@code GET /status}).
 *
 * @param matchIndex per follower, on the leader only (empty otherwise)
 * @param snapshotIndex the last index of the latest snapshot, 0 if none
 * @param firstLogIndex the first index the in-memory log holds (entries before it are compacted)
 * @param configuration the latest configuration in the log, the one this node uses (§4.1)
 * @param lostData on the leader, the followers whose log turned out shorter than what they had
 *     acknowledged (a wiped data directory): they count for nothing and get heartbeats only
 */
public record Status(
        String id,
        Role role,
        long term,
        String leaderId,
        long commitIndex,
        long lastLogIndex,
        long lastLogTerm,
        Map<String, Long> matchIndex,
        long snapshotIndex,
        long firstLogIndex,
        ClusterConfig configuration,
        SortedSet<String> lostData) {

    public Status {
        lostData = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(lostData));
    }
}
