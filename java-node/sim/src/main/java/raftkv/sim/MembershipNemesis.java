package raftkv.sim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import raftkv.core.ClusterConfig;
import raftkv.core.ConfigChange;
import raftkv.core.ConfigChangeResult;
import raftkv.core.Member;

/**
 * Changes the cluster's membership while the other faults go on (the {@link FaultMix#MEMBERSHIP}
 * mix), as an operator would through the leader: adds a node outside the configuration as a learner,
 * promotes a learner, removes a learner or a voter — the leader itself among them — never leaving
 * fewer than three voters. A node that was a member before comes back either with its old disk, or
 * is replaced: the machine is retired and a new one, with an empty disk and a new id, is added instead
 * (as etcd gives a re-added member a new id). Sometimes a second change follows at once (only a leader
 * that breaks §4.1 accepts it before the first commits), or a partition does.
 */
final class MembershipNemesis {

    /** Changes proposed, accepted, rejected (a definite refusal), removals of the leader, nodes replaced. */
    record Counts(long proposed, long accepted, long rejected, long leaderRemovals, long replaced) {
        static final Counts NONE = new Counts(0, 0, 0, 0, 0);

        Counts plus(Counts o) {
            return new Counts(proposed + o.proposed, accepted + o.accepted, rejected + o.rejected,
                    leaderRemovals + o.leaderRemovals, replaced + o.replaced);
        }
    }

    static final int MIN_VOTERS = 3;

    private final Cluster cluster;
    private final FaultMix mix;
    private final SplittableRandom random;
    private final Set<String> wereMembers = new HashSet<>();
    private boolean active = true;
    private long proposed;
    private long accepted;
    private long rejected;
    private long leaderRemovals;
    private long replaced;

    MembershipNemesis(Cluster cluster, FaultMix mix, SplittableRandom random) {
        this.cluster = cluster;
        this.mix = mix;
        this.random = random;
    }

    void start() {
        if (mix.membershipEveryMs() > 0) {
            scheduleNext();
        }
    }

    void stop() {
        active = false;
    }

    Counts counts() {
        return new Counts(proposed, accepted, rejected, leaderRemovals, replaced);
    }

    private void scheduleNext() {
        long pause = 1 + random.nextLong(2 * mix.membershipEveryMs());
        cluster.scheduler().after(pause, new Event.Timer("membership", () -> {
            if (active) {
                act();
                scheduleNext();
            }
        }));
    }

    private void act() {
        SimNode leader = cluster.leader();
        if (leader == null) {
            return;
        }
        propose(leader);
        if (random.nextInt(4) == 0 && leader.isUp()) {
            propose(leader); // two changes at once: the second waits for the first to commit (§4.1)
        }
        if (random.nextInt(5) == 0) {
            cluster.partition(Partition.randomHalves(cluster.live(), random)); // a change, then at once a split
        }
    }

    private void propose(SimNode leader) {
        ClusterConfig configuration = leader.raft().configuration();
        wereMembers.addAll(configuration.ids());
        ConfigChange change = pick(configuration, leader.id());
        // A former member comes back with its disk, or as a new machine: never empty under its old id,
        // which a stale configuration may still count as a voter (issue 20: a wiped node is a new node).
        ClusterConfig committed = leader.raft().configurationAt(leader.raft().commitIndex());
        if (change instanceof ConfigChange.AddLearner add && wereMembers.contains(add.id()) && !committed.contains(add.id())
                && random.nextBoolean()) {
            cluster.retire(add.id());
            String fresh = cluster.addNode();
            change = new ConfigChange.AddLearner(member(fresh));
            replaced++;
        }
        proposed++;
        ConfigChangeResult result = leader.proposeConfigChange(change);
        if (result instanceof ConfigChangeResult.Accepted) {
            accepted++;
            if (change instanceof ConfigChange.Remove remove && remove.id().equals(leader.id())) {
                leaderRemovals++;
            }
        } else if (result instanceof ConfigChangeResult.Rejected) {
            rejected++;
        }
    }

    private static Member member(String id) {
        return new Member(id, "sim://" + id + "/client", "sim://" + id + "/peer"); // placeholders: the core never dials
    }

    private ConfigChange pick(ClusterConfig configuration, String leaderId) {
        if (configuration.voters().size() > MIN_VOTERS && random.nextInt(6) == 0) {
            return new ConfigChange.Remove(leaderId); // §4.2.2: the leader removes itself
        }
        List<ConfigChange> options = new ArrayList<>();
        for (String id : cluster.live()) {
            if (!configuration.contains(id)) {
                options.add(new ConfigChange.AddLearner(member(id)));
            }
        }
        for (String learner : configuration.learnerIds()) {
            options.add(new ConfigChange.Promote(learner));
            options.add(new ConfigChange.Promote(learner)); // promotions twice as often as removals
            options.add(new ConfigChange.Remove(learner));
        }
        if (configuration.voters().size() > MIN_VOTERS) {
            for (String voter : configuration.voterIds()) {
                options.add(new ConfigChange.Remove(voter));
            }
        }
        return options.get(random.nextInt(options.size()));
    }
}
