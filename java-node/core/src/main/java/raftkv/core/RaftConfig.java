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
 * @param snapshotEntries take a snapshot once this many entries were applied since the last one
 *     (dissertation §5.1: "servers take snapshots independently, covering just the committed entries")
 * @param snapshotTrailingEntries entries kept in the log behind a new snapshot, so a follower that is
 *     only a little behind still gets AppendEntries rather than the whole snapshot (§5.1.2)
 * @param snapshotChunkBytes most snapshot bytes carried by one InstallSnapshot message (§5.3: "the
 *     leader sends the snapshot in chunks")
 */
public record RaftConfig(
        String id,
        List<String> members,
        int electionTimeoutMinTicks,
        int electionTimeoutMaxTicks,
        int heartbeatTicks,
        int maxEntriesPerAppend,
        int maxAppendBurst,
        Set<Bug> bugs,
        int snapshotEntries,
        int snapshotTrailingEntries,
        int snapshotChunkBytes) {

    public static final int DEFAULT_SNAPSHOT_ENTRIES = 10_000;
    public static final int DEFAULT_SNAPSHOT_TRAILING_ENTRIES = 1_000;
    public static final int DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024;

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
        if (snapshotEntries < 1 || snapshotTrailingEntries < 0 || snapshotChunkBytes < 1) {
            throw new IllegalArgumentException("need snapshotEntries >= 1, snapshotTrailingEntries >= 0 and"
                    + " snapshotChunkBytes >= 1, got " + snapshotEntries + ", " + snapshotTrailingEntries + " and "
                    + snapshotChunkBytes);
        }
    }

    /** The configuration without the snapshot settings, which take their defaults. */
    public RaftConfig(String id, List<String> members, int electionTimeoutMinTicks, int electionTimeoutMaxTicks,
            int heartbeatTicks, int maxEntriesPerAppend, int maxAppendBurst, Set<Bug> bugs) {
        this(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks, maxEntriesPerAppend,
                maxAppendBurst, bugs, DEFAULT_SNAPSHOT_ENTRIES, DEFAULT_SNAPSHOT_TRAILING_ENTRIES,
                DEFAULT_SNAPSHOT_CHUNK_BYTES);
    }

    /** Defaults: election timeout 10–20 ticks, heartbeat every 2 ticks, 256 entries per message, bursts of 8. */
    public static RaftConfig of(String id, List<String> members) {
        return new RaftConfig(id, members, 10, 20, 2, 256, 8, Set.of());
    }

    public RaftConfig withBugs(Set<Bug> newBugs) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, newBugs, snapshotEntries, snapshotTrailingEntries,
                snapshotChunkBytes);
    }

    /** Snapshot every {@code entries} applied entries, keeping {@code trailing} entries behind each snapshot. */
    public RaftConfig withSnapshots(int entries, int trailing) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, bugs, entries, trailing, snapshotChunkBytes);
    }

    public RaftConfig withSnapshotChunkBytes(int chunkBytes) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, bugs, snapshotEntries, snapshotTrailingEntries, chunkBytes);
    }

    public RaftConfig withTiming(int electionMin, int electionMax, int heartbeat) {
        return new RaftConfig(id, members, electionMin, electionMax, heartbeat, maxEntriesPerAppend, maxAppendBurst,
                bugs, snapshotEntries, snapshotTrailingEntries, snapshotChunkBytes);
    }

    public boolean has(Bug bug) {
        return bugs.contains(bug);
    }

    /** Votes (or acknowledgements) needed for a majority of the cluster. */
    public int quorum() {
        return members.size() / 2 + 1;
    }
}
