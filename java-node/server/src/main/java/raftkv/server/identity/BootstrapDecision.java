package raftkv.server.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import raftkv.storage.StoredIdentity;

/**
 * Decides, from what its peers say of themselves, whether a node whose data directory has no cluster
 * yet may take part in Raft (issue 20). Pure: no clock, no I/O; {@link Bootstrap} asks and acts.
 *
 * <p>The rule: <b>a node that lost its data is a new node.</b> A cluster's first start ends once a
 * node has heard every member of {@code --peers} describe its data directory: the cluster is then
 * the set of those directories' incarnations, named by a digest of them, and every member holds the
 * same table. Every peer message carries the sender's incarnation and is refused unless it is the
 * table's. A node restarted on an empty directory under its old id has a new incarnation: its peers
 * refuse it, so no vote it gives counts and no entry it acknowledges counts for a quorum, and it
 * cannot vote a second time in a term in which its old directory voted (§5.2, Election Safety).
 * Asking its peers at start, it learns that at once and refuses to start, saying how to rejoin.
 *
 * <p>Why every member, not a majority: the peer a wiped node voted for is the one that must know
 * the old incarnation, and any peer may have been that candidate.
 */
public final class BootstrapDecision {

    /** What to do next. */
    public sealed interface Verdict {
        /** These members have not answered (or are still down): ask again later. */
        record Wait(SortedSet<String> missing) implements Verdict {}

        /** The cluster is known and this directory is a member of it: save this and take part in Raft. */
        record Join(StoredIdentity.Member identity) implements Verdict {}

        /** This directory is not the one the cluster knows under this node's id: never take part. */
        record Refuse(String reason) implements Verdict {}
    }

    private BootstrapDecision() {}

    /**
     * @param self this directory's identity, drawn (and saved) before anyone was asked
     * @param selfState whether this directory holds a term or entries (an older raftkv wrote no identity)
     * @param members every node of {@code --peers}, this one included
     * @param answers what the peers that answered said
     * @param rejoinHint how to rejoin, for the refusal's message
     */
    public static Verdict decide(StoredIdentity.Bootstrapping self, RaftState selfState, Set<String> members,
            Map<String, PeerIdentity> answers, String rejoinHint) {
        for (PeerIdentity peer : answers.values()) {
            if (peer.belongsToCluster()) {
                return joinOrRefuse(self, members, peer, rejoinHint);
            }
        }
        if (selfState == RaftState.EMPTY) {
            for (PeerIdentity peer : answers.values()) {
                if (peer.tookPartInRaft()) {
                    return new Verdict.Refuse(self.node() + "'s data directory is empty, but " + peer.node()
                            + " has taken part in Raft (term " + peer.term() + ", last log index "
                            + peer.lastLogIndex() + "): this node may have lost its data, and with it votes it gave."
                            + " " + rejoinHint);
                }
            }
        }
        SortedSet<String> missing = new TreeSet<>(members);
        missing.remove(self.node());
        missing.removeAll(answers.keySet());
        if (!missing.isEmpty()) {
            return new Verdict.Wait(missing);
        }
        SortedMap<String, Long> incarnations = new TreeMap<>();
        incarnations.put(self.node(), self.incarnation());
        answers.forEach((id, peer) -> incarnations.put(id, StoredIdentity.parse(peer.incarnation())));
        return new Verdict.Join(new StoredIdentity.Member(self.node(), self.incarnation(), clusterId(incarnations),
                incarnations));
    }

    /** Whether this node's directory holds Raft state (a term or entries). */
    public enum RaftState { EMPTY, PRESENT }

    private static Verdict joinOrRefuse(StoredIdentity.Bootstrapping self, Set<String> members, PeerIdentity peer,
            String rejoinHint) {
        String known = peer.members().get(self.node());
        if (known == null) {
            return new Verdict.Refuse(peer.node() + " belongs to cluster " + peer.clusterId() + ", whose members are "
                    + peer.members().keySet() + ": " + self.node() + " is not one of them. " + rejoinHint);
        }
        if (StoredIdentity.parse(known) != self.incarnation()) {
            return new Verdict.Refuse("cluster " + peer.clusterId() + " (as " + peer.node() + " says) knows "
                    + self.node() + " by a data directory of incarnation " + known + ", and this one is "
                    + StoredIdentity.format(self.incarnation()) + ": " + self.node() + " lost its data (a wiped or"
                    + " replaced directory), and with it the votes it gave; it must not vote or count for a quorum"
                    + " under its old identity. " + rejoinHint);
        }
        if (!peer.members().keySet().equals(members)) {
            return new Verdict.Refuse("cluster " + peer.clusterId() + " has the members " + peer.members().keySet()
                    + ", but --peers names " + members + ": start " + self.node() + " with the cluster's members.");
        }
        SortedMap<String, Long> incarnations = new TreeMap<>();
        peer.members().forEach((id, incarnation) -> incarnations.put(id, StoredIdentity.parse(incarnation)));
        if (!clusterId(incarnations).equals(peer.clusterId())) {
            return new Verdict.Refuse(peer.node() + " names cluster " + peer.clusterId() + ", which is not the digest"
                    + " of its members' incarnations: its identity is damaged.");
        }
        return new Verdict.Join(new StoredIdentity.Member(self.node(), self.incarnation(), peer.clusterId(),
                incarnations));
    }

    /** The cluster's id: the first 16 hex digits of SHA-256 over {@code id=incarnation} lines, in id order. */
    public static String clusterId(SortedMap<String, Long> incarnations) {
        StringBuilder text = new StringBuilder();
        incarnations.forEach((id, incarnation) -> text.append(id).append('=')
                .append(StoredIdentity.format(incarnation)).append('\n'));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
