package raftkv.core;

import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The static configuration of one node. Time is counted in ticks: the driver calls
 * {@link RaftNode#tick()} at a fixed period (the server: every few milliseconds; the simulator: on
 * its virtual clock), so the core never reads a clock.
 *
 * @param id this node's id
 * @param members every node of the cluster, this one included (fixed membership)
 * @param electionTimeoutMinTicks lower bound of the randomized election timeout (§5.2)
 * @param electionTimeoutMaxTicks upper bound (exclusive) of the randomized election timeout
 * @param heartbeatTicks how often a leader sends AppendEntries when idle; well below the election
 *     timeout (§5.6: broadcastTime ≪ electionTimeout)
 * @param maxEntriesPerAppend most entries carried by one AppendEntries
 * @param maxAppendBurst most AppendEntries sent to one follower at once while it keeps up; the
 *     rest follow as its replies come back (etcd-io/raft's MaxInflightMsgs plays this role)
 * @param bugs deliberate violations to enable (tests only)
 */
public record RaftConfig(
        String id,
        List<String> members,
        int electionTimeoutMinTicks,
        int electionTimeoutMaxTicks,
        int heartbeatTicks,
        int maxEntriesPerAppend,
        int maxAppendBurst,
        Set<Bug> bugs) {

    public RaftConfig {
        Objects.requireNonNull(id, "id");
        members = List.copyOf(members);
        bugs = bugs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(bugs));
        if (!members.contains(id)) {
            throw new IllegalArgumentException("members " + members + " must include this node " + id);
        }
        if (members.stream().distinct().count() != members.size()) {
            throw new IllegalArgumentException("duplicate member in " + members);
        }
        if (heartbeatTicks < 1 || electionTimeoutMinTicks <= heartbeatTicks) {
            throw new IllegalArgumentException(
                    "need 1 <= heartbeatTicks < electionTimeoutMinTicks, got " + heartbeatTicks + " and "
                            + electionTimeoutMinTicks);
        }
        if (electionTimeoutMaxTicks <= electionTimeoutMinTicks) {
            throw new IllegalArgumentException("electionTimeoutMaxTicks must exceed electionTimeoutMinTicks");
        }
        if (maxEntriesPerAppend < 1 || maxAppendBurst < 1) {
            throw new IllegalArgumentException("maxEntriesPerAppend and maxAppendBurst must be >= 1");
        }
    }

    /** Defaults: election timeout 10–20 ticks, heartbeat every 2 ticks, 256 entries per message, bursts of 8. */
    public static RaftConfig of(String id, List<String> members) {
        return new RaftConfig(id, members, 10, 20, 2, 256, 8, Set.of());
    }

    public RaftConfig withBugs(Set<Bug> newBugs) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, newBugs);
    }

    public RaftConfig withTiming(int electionMin, int electionMax, int heartbeat) {
        return new RaftConfig(id, members, electionMin, electionMax, heartbeat, maxEntriesPerAppend, maxAppendBurst,
                bugs);
    }

    public boolean has(Bug bug) {
        return bugs.contains(bug);
    }

    /** Votes (or acknowledgements) needed for a majority of the cluster. */
    public int quorum() {
        return members.size() / 2 + 1;
    }
}
