package raftkv.server.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import raftkv.core.ClusterConfig;
import raftkv.core.Snapshot;
import raftkv.core.TransferResult;
import raftkv.server.LoopObserver;
import raftkv.server.NodeStatus;

/**
 * Writes a node's {@link EventHistory} and {@link Timeline} from what its event loop publishes: it
 * compares each turn's status with the previous one (role, term, leader, configuration), hears of snapshots and
 * transfers, and checks its peers' {@link PeerContact}. It lives outside the Raft core, which has
 * no clock: the times are this server's. Loop thread only, like every {@link LoopObserver} call it
 * takes.
 *
 * <p>A peer is <em>lost</em> when this node expects to hear from it and has not for longer than the
 * loss threshold (the maximum election timeout: by then a follower would have started an election).
 * A node expects to hear from every peer while it leads (heartbeat replies) or campaigns (votes and
 * pre-votes), and from its leader while it follows; followers do not talk to each other, so their
 * silence means nothing, and a follower that starts to campaign gives each peer the threshold to
 * answer before it counts the silence. A lost peer is <em>regained</em> as soon as any message of it
 * arrives.
 */
public final class EventRecorder implements LoopObserver {

    private enum Contact { UNKNOWN, UP, LOST }

    private final String self;
    private final EventHistory history;
    private final Timeline timeline;
    private final PeerContact contact;
    private final long lossThresholdNanos;
    private final Map<String, Contact> peers = new HashMap<>();
    /** Per lost peer: when it was last heard before it was lost. */
    private final Map<String, Long> lastHeardBeforeLoss = new HashMap<>();
    /** Per peer this node expects to hear from: since when it has. */
    private final Map<String, Long> expectedSince = new HashMap<>();
    private long term;
    /** The configuration whose members {@link #peers} are (null: none yet). */
    private ClusterConfig trackedConfiguration;

    public EventRecorder(String self, EventHistory history, Timeline timeline, PeerContact contact,
            long lossThresholdNanos) {
        this.self = self;
        this.history = history;
        this.timeline = timeline;
        this.contact = contact;
        this.lossThresholdNanos = lossThresholdNanos;
        contact.peers().forEach(peer -> peers.put(peer, Contact.UNKNOWN));
    }

    public EventHistory history() {
        return history;
    }

    public Timeline timeline() {
        return timeline;
    }

    @Override
    public void published(NodeStatus previous, NodeStatus current) {
        term = current.term();
        timeline.observe(current.term(), current.commitIndex());
        if (!previous.role().equals(current.role())) {
            roleChanged(previous, current);
        }
        String leader = current.leader();
        if (leader != null && !leader.equals(self) && !Objects.equals(previous.leader(), leader)) {
            history.record(NodeEvent.Kind.LEADER, current.term(),
                    self + " follows " + leader + ", the leader of term " + current.term());
        }
        if (!previous.configuration().equals(current.configuration())) {
            configurationChanged(previous.configuration(), current.configuration(), current.term());
        }
        if (!current.configuration().equals(trackedConfiguration)) { // also the first turn: --peers may be older
            trackPeers(current.configuration());
        }
        checkPeers(current);
    }

    /**
     * "configuration changed: +n4 learner", "n4 promoted", "n2 removed": what differs between this
     * node's latest configuration and the one before (§4.1: a node uses the latest one in its log,
     * committed or not, so a configuration entry a new leader truncates away shows up as a change back).
     */
    private void configurationChanged(ClusterConfig before, ClusterConfig after, long term) {
        if (before.ids().isEmpty()) { // a node that joined (--join) learns its cluster from the leader
            history.record(NodeEvent.Kind.CONFIGURATION, term, self + " learned the cluster's configuration: "
                    + describe(after) + " (§4.1)");
            return;
        }
        List<String> changes = new ArrayList<>();
        for (String id : after.ids()) {
            if (!before.contains(id)) {
                changes.add("+" + id + (after.isVoter(id) ? " voter" : " learner"));
            } else if (before.isLearner(id) && after.isVoter(id)) {
                changes.add(id + " promoted");
            } else if (before.isVoter(id) && after.isLearner(id)) {
                changes.add(id + " now a learner");
            }
        }
        for (String id : before.ids()) {
            if (!after.contains(id)) {
                changes.add(id + " removed");
            }
        }
        history.record(NodeEvent.Kind.CONFIGURATION, term, self + ": configuration changed: "
                + (changes.isEmpty() ? "members' addresses" : String.join(", ", changes)) + " → " + describe(after)
                + " (§4.1)");
    }

    /** The peers whose silence counts are the other members of the latest configuration (§4.1). */
    private void trackPeers(ClusterConfig configuration) {
        trackedConfiguration = configuration;
        if (configuration.ids().isEmpty()) {
            return; // a joining node knows no configuration yet: keep whom it knew
        }
        List<String> others = configuration.ids().stream().filter(id -> !id.equals(self)).toList();
        contact.track(others);
        peers.keySet().retainAll(others);
        lastHeardBeforeLoss.keySet().retainAll(others);
        expectedSince.keySet().retainAll(others);
        others.forEach(peer -> peers.putIfAbsent(peer, Contact.UNKNOWN));
    }

    /** "voters n1, n2, n3; learners n4". */
    private static String describe(ClusterConfig configuration) {
        return "voters " + String.join(", ", configuration.voterIds())
                + (configuration.learners().isEmpty() ? "" : "; learners " + String.join(", ", configuration.learnerIds()));
    }

    private void roleChanged(NodeStatus previous, NodeStatus current) {
        long term = current.term();
        String was = previous.role().replace('_', '-');
        String now = current.role().replace('_', '-');
        String text;
        NodeEvent.Kind kind = NodeEvent.Kind.ROLE;
        if (now.equals("leader")) {
            kind = NodeEvent.Kind.ELECTED;
            text = self + " won the election of term " + term + " and leads (§5.2)";
        } else if (was.equals("leader")) {
            text = self + " stepped down: leader → " + now + (term > previous.term()
                    ? ", on seeing term " + term + " (§5.1)"
                    : " in term " + term + ": no word from a majority within an election timeout (CheckQuorum, §6.2)");
        } else if (now.equals("pre-candidate")) {
            text = self + " heard from no leader within its election timeout and asks for pre-votes for term "
                    + (term + 1) + " (§9.6)";
        } else if (now.equals("candidate")) {
            text = self + " starts an election for term " + term + " (§5.2)";
        } else {
            text = self + ": " + was + " → " + now + " in term " + term;
        }
        history.record(kind, term, text);
    }

    private void checkPeers(NodeStatus current) {
        boolean campaigning = !current.role().equals("follower"); // leader, candidate, pre-candidate
        long now = contact.now();
        for (Map.Entry<String, Contact> entry : peers.entrySet()) {
            String peer = entry.getKey();
            long heard = contact.lastHeard(peer);
            if (heard == PeerContact.NEVER) {
                continue; // never heard: nothing to lose yet
            }
            Contact was = entry.getValue();
            if (was == Contact.LOST && heard != lastHeardBeforeLoss.get(peer)) {
                long silentMs = (heard - lastHeardBeforeLoss.remove(peer)) / 1_000_000;
                history.record(NodeEvent.Kind.PEER_REGAINED, current.term(), self + " hears from " + peer
                        + " again, after " + seconds(silentMs) + " of silence");
                entry.setValue(Contact.UP);
            } else if (was == Contact.UNKNOWN) {
                entry.setValue(Contact.UP);
            }
            boolean expected = campaigning || peer.equals(current.leader());
            if (!expected) {
                expectedSince.remove(peer);
                continue;
            }
            long since = expectedSince.computeIfAbsent(peer, p -> now);
            boolean silent = now - Math.max(heard, since) > lossThresholdNanos;
            if (silent && entry.getValue() == Contact.UP) {
                entry.setValue(Contact.LOST);
                lastHeardBeforeLoss.put(peer, heard);
                history.record(NodeEvent.Kind.PEER_LOST, current.term(), self + " lost " + peer
                        + ": nothing heard from it for " + (now - heard) / 1_000_000 + " ms (as "
                        + current.role().replace('_', '-') + ")");
            }
        }
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    @Override
    public void snapshotTaken(Snapshot snapshot, long nanos) {
        history.record(NodeEvent.Kind.SNAPSHOT_TAKEN, term, self + " took a snapshot up to index "
                + snapshot.lastIncludedIndex() + " in " + nanos / 1_000_000 + " ms and compacted its log");
    }

    @Override
    public void restored(Snapshot snapshot) {
        history.record(NodeEvent.Kind.SNAPSHOT_INSTALLED, term, self
                + " installed the leader's snapshot up to index " + snapshot.lastIncludedIndex() + " (InstallSnapshot)");
    }

    @Override
    public void transferRequested(String requested, TransferResult result) {
        if (result instanceof TransferResult.Started started) {
            history.record(NodeEvent.Kind.TRANSFER, term, self + " hands leadership to " + started.transferee()
                    + (requested == null ? " (the most up-to-date follower)" : "") + " (§3.10)");
        }
    }
}
