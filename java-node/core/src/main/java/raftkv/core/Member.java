package raftkv.core;

import java.util.Objects;

/**
 * One server of the cluster as its configuration names it (dissertation §4.1: a configuration is the
 * set of servers). The URLs are opaque to the core: it never connects anywhere; the server uses them
 * to reach the member (peers) and to redirect clients to it. A configuration entry carries them, so
 * a node that joins later learns how to reach every member from the log or a snapshot.
 *
 * @param clientUrl where clients reach the member ("" if unknown)
 * @param peerUrl where peers reach the member ("" if unknown)
 */
public record Member(String id, String clientUrl, String peerUrl) {

    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(clientUrl, "clientUrl");
        Objects.requireNonNull(peerUrl, "peerUrl");
        if (id.isBlank()) {
            throw new IllegalArgumentException("a member id must not be blank");
        }
    }

    /** A member known by its id only (tests, the simulator, snapshots of format 2). */
    public static Member ofId(String id) {
        return new Member(id, "", "");
    }
}
