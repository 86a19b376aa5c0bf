package raftkv.server.identity;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a node says of itself on {@code GET /raft/identity}: its data directory's incarnation, the
 * cluster it belongs to with every member's incarnation (both null while the cluster's first start
 * is not over), and how far its Raft state goes. Incarnations travel as 16 hex digits.
 *
 * @param clusterId null while bootstrapping
 * @param members each member's incarnation; null while bootstrapping
 * @param term the node's current term (0: it never took part in an election)
 * @param lastLogIndex the index of its last log entry (0: none)
 */
public record PeerIdentity(String node, String incarnation, String clusterId, SortedMap<String, String> members,
        long term, long lastLogIndex) {

    public PeerIdentity {
        members = members == null ? null : new TreeMap<>(members);
    }

    /** True once the node belongs to a cluster (its first start is over). */
    public boolean belongsToCluster() {
        return clusterId != null && members != null;
    }

    /** True if the node has taken part in Raft: a term or a log entry. */
    public boolean tookPartInRaft() {
        return term > 0 || lastLogIndex > 0;
    }
}
