package raftkv.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The leader's view of its cluster (etcd-io/raft's {@code tracker.ProgressTracker}): one
 * {@link Progress} per other member of the latest configuration, voters and learners alike (both
 * receive the log, §4.2.1), and every majority the leader needs, counted over the voters of that
 * configuration only: the commit index (§5.3), CheckQuorum (§6.2) and the ReadIndex confirmation
 * (§6.4). "A server always uses the latest configuration in its log" (§4.1), so the leader re-syncs
 * whenever it appends one.
 *
 * <p>A follower whose log turned out shorter than what it acknowledged before has lost its data (its
 * disk was wiped or replaced): it is marked once, counts toward nothing from then on, and gets only
 * heartbeats until it is removed from the configuration.
 */
final class ProgressTracker {

    private final String self;
    private final Map<String, Progress> followers = new TreeMap<>();
    private final TreeSet<String> lostData = new TreeSet<>();
    private ClusterConfig configuration;

    ProgressTracker(String self, ClusterConfig configuration, long nextIndex, int window) {
        this.self = self;
        sync(configuration, nextIndex, window);
    }

    /**
     * The latest configuration is now {@code latest} (§4.1): track its members, a new one from
     * {@code nextIndex} (Figure 2: "initialized to leader last log index + 1"); forget the ones gone.
     */
    void sync(ClusterConfig latest, long nextIndex, int window) {
        configuration = latest;
        followers.keySet().removeIf(id -> !latest.contains(id));
        lostData.removeIf(id -> !latest.contains(id));
        for (String id : latest.ids()) {
            if (!id.equals(self) && !followers.containsKey(id)) {
                followers.put(id, new Progress(nextIndex, window));
            }
        }
    }

    ClusterConfig configuration() {
        return configuration;
    }

    /** The other members, by id: a live view. */
    Map<String, Progress> followers() {
        return followers;
    }

    /**
     * The highest index a majority of the voters hold (§5.3): the leader counts itself, if it is a
     * voter, only up to {@code persistedIndex}; a learner or a node that lost its data counts for
     * nothing (§4.2.1).
     */
    long committedIndex(long persistedIndex) {
        return configuration.quorumIndex(id -> {
            if (id.equals(self)) {
                return persistedIndex;
            }
            Progress p = followers.get(id);
            return p == null || p.lostData ? 0 : p.matchIndex;
        });
    }

    /**
     * CheckQuorum (§6.2): did a majority of the voters, the leader included if it is one, answer since
     * the last check? Starts a new window.
     */
    boolean heardFromQuorum() {
        List<String> active = new ArrayList<>();
        active.add(self);
        for (Map.Entry<String, Progress> e : followers.entrySet()) {
            if (e.getValue().recentlyActive && !e.getValue().lostData) {
                active.add(e.getKey());
            }
            e.getValue().recentlyActive = false;
        }
        return configuration.hasQuorum(active);
    }

    /** ReadIndex (§6.4): has a majority of the voters answered a heartbeat round at or after {@code round}? */
    boolean confirmedSince(long round) {
        List<String> acks = new ArrayList<>();
        acks.add(self);
        followers.forEach((id, p) -> {
            if (p.ackedRound >= round && !p.lostData) {
                acks.add(id);
            }
        });
        return configuration.hasQuorum(acks);
    }

    /** Marks {@code id} as a node that lost its data; true the first time only. */
    boolean markLostData(String id) {
        followers.get(id).lostData = true;
        return lostData.add(id);
    }

    /** The members that lost their data (for the operator: remove them, add them back as learners). */
    SortedSet<String> lostData() {
        return new TreeSet<>(lostData);
    }

    /** The voter whose log matches the most of ours: the best target for a leadership transfer (§3.10). */
    String mostUpToDateVoter() {
        String best = null;
        for (Map.Entry<String, Progress> e : followers.entrySet()) {
            if (configuration.isVoter(e.getKey()) && !e.getValue().lostData
                    && (best == null || e.getValue().matchIndex > followers.get(best).matchIndex)) {
                best = e.getKey();
            }
        }
        return best;
    }

    Map<String, Long> matchIndexes() {
        Map<String, Long> matches = new TreeMap<>();
        followers.forEach((peer, p) -> matches.put(peer, p.matchIndex));
        return matches;
    }
}
