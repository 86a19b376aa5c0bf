package raftkv.server.identity;

import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import raftkv.core.ClusterConfig;
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

    /** Saves a changed member table durably before it is used. */
    @FunctionalInterface
    public interface Saver {
        void save(StoredIdentity.Member member) throws java.io.IOException;
    }

    private volatile StoredIdentity identity;
    private volatile String notReady = "the cluster's first start is not over";
    private volatile ClusterConfig configuration = ClusterConfig.EMPTY;
    private final AtomicLong refused = new AtomicLong();
    private final Saver saver;
    /** Serializes changes of the member table (and their saves); checks read the volatile reference. */
    private final ReentrantLock changes = new ReentrantLock();

    /** A gate whose member table never changes (tests). */
    public IdentityGate(StoredIdentity identity) {
        this(identity, member -> {});
    }

    public IdentityGate(StoredIdentity identity, Saver saver) {
        this.identity = identity;
        this.saver = saver;
    }

    /**
     * The node's latest configuration changed (§4.1). Members it no longer holds leave the table, so
     * that a node removed and added again with a new, empty directory is known by its new incarnation
     * (trust on first use: {@link #check}). Called on the event loop's thread.
     */
    public void configurationChanged(ClusterConfig latest) throws java.io.IOException {
        configuration = latest;
        if (latest.voters().isEmpty() || !(identity instanceof StoredIdentity.Member)) {
            return; // a joining node before the leader told it anything: nothing to forget
        }
        changes.lock();
        try {
            StoredIdentity.Member member = (StoredIdentity.Member) identity;
            SortedMap<String, Long> kept = new TreeMap<>(member.incarnations());
            kept.keySet().removeIf(id -> !latest.contains(id) && !id.equals(member.node()));
            if (!kept.equals(member.incarnations())) {
                StoredIdentity.Member changed = new StoredIdentity.Member(member.node(), member.incarnation(),
                        member.clusterId(), kept);
                saver.save(changed);
                identity = changed;
            }
        } finally {
            changes.unlock();
        }
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
        long presented;
        try {
            presented = StoredIdentity.parse(incarnationHeader);
        } catch (IllegalArgumentException e) {
            return refuse("bad incarnation from " + from + ": " + e.getMessage());
        }
        // A member added since the first start is pinned by the configuration that added it; the others
        // are in the table made at the first start (or learned on first use, if added without a pin).
        Long known = PinnedIncarnation.of(configuration, from).orElse(member.incarnations().get(from));
        if (known == null) {
            if (!configuration.contains(from)) {
                return refuse(from + " is not a member of cluster " + member.clusterId() + " "
                        + member.incarnations().keySet());
            }
            return trustOnFirstUse(from, presented);
        }
        if (presented != known) {
            return refuse(from + " presents a data directory of incarnation " + StoredIdentity.format(presented)
                    + ", but cluster " + member.clusterId() + " knows " + from + " by incarnation "
                    + StoredIdentity.format(known) + ": " + from + " lost its data, and its messages (votes and"
                    + " acknowledgements included) are refused. Remove it and add it again as a new node (--join).");
        }
        return new Check.Accepted();
    }

    /**
     * A member added without a pinned incarnation ({@link PinnedIncarnation}; an operator's {@code POST
     * /admin/members} without one) is known by the incarnation it first presents, saved before its
     * message is taken. Weaker than a pin: a node that never heard from it would take a later
     * directory under its id as well, so {@code --join} always pins.
     */
    private Check trustOnFirstUse(String from, long presented) {
        changes.lock();
        try {
            StoredIdentity.Member member = (StoredIdentity.Member) identity;
            Long known = member.incarnations().get(from);
            if (known != null) {
                return known == presented ? new Check.Accepted() : refuse(from + " presents incarnation "
                        + StoredIdentity.format(presented) + ", known as " + StoredIdentity.format(known));
            }
            SortedMap<String, Long> more = new TreeMap<>(member.incarnations());
            more.put(from, presented);
            StoredIdentity.Member changed = new StoredIdentity.Member(member.node(), member.incarnation(),
                    member.clusterId(), more);
            saver.save(changed);
            identity = changed;
            return new Check.Accepted();
        } catch (java.io.IOException e) {
            return new Check.NotReady("cannot save " + from + "'s incarnation: " + e);
        } finally {
            changes.unlock();
        }
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
                status.term(), status.lastIndex());
    }
}
