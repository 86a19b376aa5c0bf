package raftkv.server;

import java.util.Map;

/**
 * What {@code GET /status} reports, published by the event loop after every turn so that readers
 * never wait for it.
 *
 * @param matchIndex per peer, on the leader only (empty otherwise)
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
        Map<String, Long> matchIndex) {}
