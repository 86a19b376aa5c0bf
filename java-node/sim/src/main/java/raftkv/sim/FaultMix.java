package raftkv.sim;

import java.util.List;

/**
 * How hostile a run is: the network's misbehaviour and which faults the nemesis injects how often.
 * Weights are relative; a weight of 0 disables that fault.
 *
 * @param dropRate probability that a Raft message is lost
 * @param duplicateRate probability that a Raft message is delivered twice
 * @param minDelayMs lower bound of a message's delay
 * @param maxDelayMs upper bound of a message's usual delay (messages overtake each other: reorder)
 * @param slowRate probability that a message is held back up to {@code slowDelayMs} (late arrivals)
 * @param faultEveryMinMs shortest pause between two nemesis actions
 * @param faultEveryMaxMs longest pause between two nemesis actions
 * @param downMinMs shortest time a crashed node stays down
 * @param downMaxMs longest time a crashed node stays down
 * @param maxDown most nodes down at once
 * @param newLeaderCrashRate probability that a newly elected leader is killed soon after
 * @param campaignCrashRate probability that, when a node starts an election, another node is killed
 *     soon after (a voter that restarts quickly comes back mid-election)
 * @param crashSoonMs how soon: uniformly within this many ms of the election or the campaign
 * @param maxEntriesPerAppend the core's batch limit (1 separates an old entry from the new no-op)
 * @param maxAppendBurst the core's burst limit (1: a lagging follower catches up one round trip per
 *     entry, which keeps it holding old entries without the new no-op for longer)
 * @param powerCutRate probability that a crash is a power cut in the middle of the node's next fsync
 *     (what was written but not synced is torn at random pages) rather than between two Readys.
 *     Every crash is a power loss: only fsynced bytes are sure to survive.
 * @param spareNodes nodes beyond the bootstrap voters, started with no configuration (they wait to be
 *     added as learners, dissertation §4.2.1)
 * @param membershipEveryMs mean pause between two membership changes the {@link MembershipNemesis}
 *     proposes; 0: none
 */
record FaultMix(
        String name,
        double dropRate,
        double duplicateRate,
        long minDelayMs,
        long maxDelayMs,
        double slowRate,
        long slowDelayMs,
        long faultEveryMinMs,
        long faultEveryMaxMs,
        int partitionWeight,
        int crashWeight,
        int crashLeaderWeight,
        int healWeight,
        long downMinMs,
        long downMaxMs,
        int maxDown,
        double newLeaderCrashRate,
        double campaignCrashRate,
        long crashSoonMs,
        int maxEntriesPerAppend,
        int maxAppendBurst,
        double powerCutRate,
        int spareNodes,
        long membershipEveryMs) {

    /** Everything at once: lossy, reordering network, all four partition shapes, crashes. */
    static final FaultMix MIXED = new FaultMix("mixed", 0.02, 0.02, 1, 8, 0.02, 120,
            300, 900, 4, 2, 2, 3, 50, 600, 2, 0.1, 0.1, 100, 64, 8, 0.2, 0, 0);

    /** Only partitions (and heals), on a mildly lossy network. */
    static final FaultMix PARTITIONS = new FaultMix("partitions", 0.01, 0.01, 1, 6, 0.01, 60,
            300, 900, 5, 0, 0, 3, 0, 0, 0, 0, 0, 0, 64, 8, 0, 0, 0);

    /**
     * Leaders cut off or killed moments after their election, while they bring followers up to date
     * one entry per AppendEntries: the Figure 8 pattern, where an entry of an old term reaches a
     * majority only in a later term, and its leader dies before its own term's no-op does.
     */
    static final FaultMix FIGURE_8 = new FaultMix("figure-8", 0.05, 0.0, 1, 15, 0.0, 0,
            30, 120, 6, 0, 2, 2, 20, 200, 2, 0.9, 0, 60, 1, 1, 0, 0, 0);

    /**
     * Many short crashes during elections, on a network that delivers some messages late: a voter
     * that restarts can meet a second candidate's RequestVote in the term it already voted in.
     */
    static final FaultMix ELECTION_CRASHES = new FaultMix("election-crashes", 0.02, 0.05, 1, 10, 0.10, 150,
            100, 300, 1, 2, 2, 1, 1, 15, 2, 0.5, 0.9, 10, 64, 8, 0, 0, 0);

    /**
     * Crash-heavy: nodes (leaders above all) lose power every few hundred ms, most of them in the middle
     * of an fsync, with small batches so that a Ready's write spans several WAL records. A missing fsync
     * loses acknowledged state here, and a recovery that calls a torn tail corruption stops a node.
     */
    static final FaultMix POWER_LOSS = new FaultMix("power-loss", 0.01, 0.01, 1, 8, 0.02, 60,
            50, 250, 1, 3, 3, 1, 5, 150, 2, 0.3, 0.3, 40, 16, 4, 0.7, 0, 0);

    /** No nemesis and a reliable network: the demo schedules its faults by hand. */
    static final FaultMix CALM = new FaultMix("calm", 0, 0, 1, 8, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64, 8, 0, 0, 0);

    /**
     * Membership changes (dissertation chapter 4) among seven nodes, five of them the bootstrap voters:
     * learners added, promoted and removed, voters removed (the leader among them) and nodes replaced
     * by an empty one under the same id, every 150 ms or so, sometimes two at once or together with a
     * partition, while partitions, crashes and power cuts go on as in {@link #MIXED}.
     */
    static final FaultMix MEMBERSHIP = new FaultMix("membership", 0.02, 0.02, 1, 8, 0.02, 120,
            200, 700, 4, 2, 2, 3, 50, 600, 2, 0.05, 0.05, 100, 16, 4, 0.2, 2, 150);

    /** The mixes a seed picks from when none is named (the membership mix is run by name only). */
    static final List<FaultMix> ALL = List.of(MIXED, PARTITIONS, FIGURE_8, ELECTION_CRASHES, POWER_LOSS);

    static FaultMix named(String name) {
        return java.util.stream.Stream.concat(ALL.stream(), java.util.stream.Stream.of(MEMBERSHIP))
                .filter(mix -> mix.name.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown fault mix '" + name + "'; known: "
                        + String.join(", ", ALL.stream().map(FaultMix::name).toList()) + ", membership"));
    }
}
