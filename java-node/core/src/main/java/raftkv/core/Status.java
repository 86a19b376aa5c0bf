package raftkv.core;

import java.util.Map;

/**
 * A snapshot of a node's Raft state for operators (the server's {@code GET /status}).
 *
 * @param matchIndex per follower, on the leader only (empty otherwise)
 * @param snapshotIndex the last index of the latest snapshot, 0 if none
 * @param firstLogIndex the first index the in-memory log holds (entries before it are compacted)
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
        long firstLogIndex) {}
