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
 * @param members the voters of the cluster's first configuration, this one included, or none for a
 *     node that joins an existing cluster (it learns the configuration from the leader); once the log
 *     or a snapshot holds a configuration, that one is used instead (dissertation §4.1)
 * @param electionTimeoutMinTicks lower bound of the randomized election timeout (§5.2)
 * @param electionTimeoutMaxTicks upper bound (exclusive) of the randomized election timeout
 * @param heartbeatTicks how often a leader sends AppendEntries when idle; well below the election
 *     timeout (§5.6: broadcastTime ≪ electionTimeout)
 * @param maxEntriesPerAppend most entries carried by one AppendEntries
 * @param maxAppendBurst most AppendEntries sent to one follower in one turn while it keeps up; the
 *     rest follow as its replies come back
 * @param bugs deliberate violations to enable (tests only)
 * @param snapshotEntries take a snapshot once this many entries were applied since the last one
 *     (dissertation §5.1: "servers take snapshots independently, covering just the committed entries")
 * @param snapshotTrailingEntries entries kept in the log behind a new snapshot, so a follower that is
 *     only a little behind still gets AppendEntries rather than the whole snapshot (§5.1.2)
 * @param snapshotChunkBytes most snapshot bytes carried by one InstallSnapshot message (§5.3: "the
 *     leader sends the snapshot in chunks")
 * @param maxInflightMessages most AppendEntries with entries sent to one follower and not yet
 *     acknowledged (etcd-io/raft's MaxInflightMsgs): a follower that falls behind stops getting new
 *     entries, not just heartbeats, until it answers, instead of overflowing the transport's queue
 * @param snapshotChunksInFlight most InstallSnapshot chunks sent to one follower and not yet
 *     acknowledged: the next go out as its replies come back, so a transfer neither waits a round trip
 *     per chunk nor fills the transport's queue
 * @param bootstrap the first configuration: {@code members} as voters, with their URLs if the caller
 *     knows them ({@link #withBootstrap}); null means {@code members} known by id only
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
        int snapshotChunkBytes,
        int maxInflightMessages,
        int snapshotChunksInFlight,
        ClusterConfig bootstrap) {

    public static final int DEFAULT_SNAPSHOT_ENTRIES = 10_000;
    public static final int DEFAULT_SNAPSHOT_TRAILING_ENTRIES = 1_000;
    public static final int DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024;
    /**
     * A quarter of the server transport's per-peer queue (1,024 messages), so AppendEntries alone never
     * fill it and heartbeats and replies find room; with 256 entries per message that is up to 65,536
     * entries on the way to one follower, far more than one round trip's worth of writes.
     */
    public static final int DEFAULT_MAX_INFLIGHT_MESSAGES = 256;
    /** Four chunks of 256 KiB: 1 MiB on the way to a lagging follower, a few dozen queue slots at most. */
    public static final int DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT = 4;

    public RaftConfig {
        Objects.requireNonNull(id, "id");
        members = List.copyOf(members);
        bugs = bugs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(bugs));
        if (!members.isEmpty() && !members.contains(id)) {
            throw new IllegalArgumentException("members " + members + " must include this node " + id);
        }
        if (members.stream().distinct().count() != members.size()) {
            throw new IllegalArgumentException("duplicate member in " + members);
        }
        if (bootstrap == null) {
            bootstrap = ClusterConfig.ofVoterIds(members);
        } else if (!bootstrap.learners().isEmpty()
                || !new java.util.TreeSet<>(bootstrap.voterIds()).equals(new java.util.TreeSet<>(members))) {
            throw new IllegalArgumentException("the bootstrap configuration " + bootstrap + " must be the members "
                    + members + " as voters");
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
        if (maxInflightMessages < 1 || snapshotChunksInFlight < 1) {
            throw new IllegalArgumentException("maxInflightMessages and snapshotChunksInFlight must be >= 1, got "
                    + maxInflightMessages + " and " + snapshotChunksInFlight);
        }
    }

    /** The configuration without the snapshot settings and the inflight windows, which take their defaults. */
    public RaftConfig(String id, List<String> members, int electionTimeoutMinTicks, int electionTimeoutMaxTicks,
            int heartbeatTicks, int maxEntriesPerAppend, int maxAppendBurst, Set<Bug> bugs) {
        this(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks, maxEntriesPerAppend,
                maxAppendBurst, bugs, DEFAULT_SNAPSHOT_ENTRIES, DEFAULT_SNAPSHOT_TRAILING_ENTRIES,
                DEFAULT_SNAPSHOT_CHUNK_BYTES, DEFAULT_MAX_INFLIGHT_MESSAGES, DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT, null);
    }

    /**
     * Defaults: election timeout 10–20 ticks, heartbeat every 2 ticks, 256 entries per message, bursts of
     * 8, 256 messages in flight per follower.
     */
    public static RaftConfig of(String id, List<String> members) {
        return new RaftConfig(id, members, 10, 20, 2, 256, 8, Set.of());
    }

    public RaftConfig withBugs(Set<Bug> newBugs) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, newBugs, snapshotEntries, snapshotTrailingEntries,
                snapshotChunkBytes, maxInflightMessages, snapshotChunksInFlight, bootstrap);
    }

    /** Snapshot every {@code entries} applied entries, keeping {@code trailing} entries behind each snapshot. */
    public RaftConfig withSnapshots(int entries, int trailing) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, bugs, entries, trailing, snapshotChunkBytes, maxInflightMessages,
                snapshotChunksInFlight, bootstrap);
    }

    public RaftConfig withSnapshotChunkBytes(int chunkBytes) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, bugs, snapshotEntries, snapshotTrailingEntries, chunkBytes,
                maxInflightMessages, snapshotChunksInFlight, bootstrap);
    }

    public RaftConfig withTiming(int electionMin, int electionMax, int heartbeat) {
        return new RaftConfig(id, members, electionMin, electionMax, heartbeat, maxEntriesPerAppend, maxAppendBurst,
                bugs, snapshotEntries, snapshotTrailingEntries, snapshotChunkBytes, maxInflightMessages,
                snapshotChunksInFlight, bootstrap);
    }

    /** At most {@code messages} AppendEntries with entries unacknowledged per follower. */
    public RaftConfig withMaxInflightMessages(int messages) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, bugs, snapshotEntries, snapshotTrailingEntries,
                snapshotChunkBytes, messages, snapshotChunksInFlight, bootstrap);
    }

    /** At most {@code chunks} InstallSnapshot chunks unacknowledged per follower. */
    public RaftConfig withSnapshotChunksInFlight(int chunks) {
        return new RaftConfig(id, members, electionTimeoutMinTicks, electionTimeoutMaxTicks, heartbeatTicks,
                maxEntriesPerAppend, maxAppendBurst, bugs, snapshotEntries, snapshotTrailingEntries,
                snapshotChunkBytes, maxInflightMessages, chunks, bootstrap);
    }

    /**
     * The same node with a first configuration that carries the members' URLs: {@code members} become
     * {@code bootstrap}'s voters.
     */
    public RaftConfig withBootstrap(ClusterConfig newBootstrap) {
        return new RaftConfig(id, newBootstrap.voterIds(), electionTimeoutMinTicks, electionTimeoutMaxTicks,
                heartbeatTicks, maxEntriesPerAppend, maxAppendBurst, bugs, snapshotEntries, snapshotTrailingEntries,
                snapshotChunkBytes, maxInflightMessages, snapshotChunksInFlight, newBootstrap);
    }

    /**
     * A node that joins an existing cluster: no first configuration of its own, so it never campaigns
     * until the leader's log or snapshot makes it a voter (it starts as a learner, §4.2.1).
     */
    public RaftConfig joining() {
        return withBootstrap(ClusterConfig.EMPTY);
    }

    public boolean has(Bug bug) {
        return bugs.contains(bug);
    }
}
