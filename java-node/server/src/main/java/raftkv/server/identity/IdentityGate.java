package raftkv.server.identity;

import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import raftkv.server.NodeStatus;
import raftkv.storage.StoredIdentity;

/**
 * This node's identity as its peers see it, and the check every peer message passes: the sender
 * names its cluster and its data directory's incarnation ({@code X-Raft-Cluster},
 * {@code X-Raft-Incarnation}), and both must be what this node's member table holds for it. Until
 * the cluster's first start is over ({@link Bootstrap}) no peer message is taken at all.
 *
 * <p>Read by request threads, changed once by the bootstrap: the state is one volatile reference.
 */
public final class IdentityGate {

    /** What came of checking one peer request's identity. */
    public sealed interface Check {
        record Accepted() implements Check {}

        /** This node is not yet (or will never be) a member: nothing can be taken now. */
        record NotReady(String reason) implements Check {}

        /** The sender is not the member this node knows under that id, or of another cluster. */
        record Refused(String reason) implements Check {}
    }

    /** What a sender presents: its cluster and its data directory's incarnation. */
    public record Credentials(String clusterId, long incarnation) {}

    private volatile StoredIdentity identity;
    private volatile String notReady = "the cluster's first start is not over";
    private final AtomicLong refused = new AtomicLong();

    public IdentityGate(StoredIdentity identity) {
        this.identity = identity;
    }

    /** The node now belongs to {@code member}'s cluster: peer messages are checked against its table. */
    public void established(StoredIdentity.Member member) {
        identity = member;
    }

    /** Why peer messages are not taken yet (shown to peers and clients); only before {@link #established}. */
    public void waiting(String reason) {
        notReady = reason;
    }

    /** Why this node serves nothing yet (meaningful only while it is not a member). */
    public String notReadyReason() {
        return notReady;
    }

    public StoredIdentity identity() {
        return identity;
    }

    /** The cluster's table, once established. */
    public Optional<StoredIdentity.Member> member() {
        return identity instanceof StoredIdentity.Member member ? Optional.of(member) : Optional.empty();
    }

    /** What this node presents on its own peer messages, once it belongs to a cluster. */
    public Optional<Credentials> credentials() {
        return member().map(m -> new Credentials(m.clusterId(), m.incarnation()));
    }

    /** Peer requests refused so far: the sender's identity was not the one known, or this node was no member yet. */
    public long refused() {
        return refused.get();
    }

    /**
     * Checks a peer request from {@code from} presenting {@code clusterHeader} and
     * {@code incarnationHeader} (either may be null: then it is refused).
     */
    public Check check(String from, String clusterHeader, String incarnationHeader) {
        if (!(identity instanceof StoredIdentity.Member member)) {
            refused.incrementAndGet();
            return new Check.NotReady(identity.node() + " takes no peer messages yet: " + notReady);
        }
        if (!member.clusterId().equals(clusterHeader)) {
            return refuse(from + " presents cluster " + clusterHeader + "; " + member.node() + " belongs to cluster "
                    + member.clusterId());
        }
        Long known = member.incarnations().get(from);
        if (known == null) {
            return refuse(from + " is not a member of cluster " + member.clusterId() + " " + member.incarnations().keySet());
        }
        long presented;
        try {
            presented = StoredIdentity.parse(incarnationHeader);
        } catch (IllegalArgumentException e) {
            return refuse("bad incarnation from " + from + ": " + e.getMessage());
        }
        if (presented != known) {
            return refuse(from + " presents a data directory of incarnation " + StoredIdentity.format(presented)
                    + ", but cluster " + member.clusterId() + " knows " + from + " by incarnation "
                    + StoredIdentity.format(known) + ": " + from + " lost its data, and its messages (votes and"
                    + " acknowledgements included) are refused. Remove it and add it again as a new node (--join).");
        }
        return new Check.Accepted();
    }

    private Check refuse(String reason) {
        refused.incrementAndGet();
        return new Check.Refused(reason);
    }

    /** What this node says of itself on {@code GET /raft/identity}. */
    public PeerIdentity describe(NodeStatus status) {
        StoredIdentity now = identity;
        String clusterId = null;
        SortedMap<String, String> members = null;
        if (now instanceof StoredIdentity.Member member) {
            clusterId = member.clusterId();
            members = new TreeMap<>();
            for (var entry : member.incarnations().entrySet()) {
                members.put(entry.getKey(), StoredIdentity.format(entry.getValue()));
            }
        }
        return new PeerIdentity(now.node(), StoredIdentity.format(now.incarnation()), clusterId, members,
                status.term(), status.logSize());
    }
}
