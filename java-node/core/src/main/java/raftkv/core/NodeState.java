package raftkv.core;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Figure 2's "State" of one server — persistent currentTerm, votedFor and log[], volatile
 * commitIndex — plus its role, the leader it knows and its timers, and the two changes every rule
 * may make to them: step down to follower (§5.1) and restart the election timer (§5.2).
 *
 * <p>One {@link RaftNode} and its rule handlers ({@link Elections}, {@link LogReplication},
 * {@link LogCompaction}, {@link LeadershipTransfer}) share one instance. The fields are open to
 * them, like {@link Progress}'s to {@link Leader}: only the driver's one thread ever touches a node.
 */
final class NodeState {

    final RaftConfig config;
    private final RandomGenerator random;

    // Persistent state on all servers (Figure 2). The driver makes it durable from each Ready.
    long currentTerm;
    String votedFor;
    final RaftLog log;
    Snapshot snapshot; // the latest snapshot, replacing the log up to its last included index; or null

    // Volatile state on all servers (Figure 2). lastApplied lives in the state machine the driver owns.
    long commitIndex;

    Role role = Role.FOLLOWER;
    String leaderId;
    Leader leader; // non-null exactly when role == LEADER
    int electionElapsed;
    int heartbeatElapsed;
    int checkQuorumTicks; // a leader's ticks until its next CheckQuorum (§6.2)
    private int randomizedElectionTimeout;

    final Outbox outbox;
    long persistedIndex; // the last log index the driver has made durable

    /** The state a node restarts with: what it persisted; all volatile state starts afresh (Figure 2). */
    NodeState(RaftConfig config, HardState hardState, Snapshot snapshot, List<LogEntry> entries,
            RandomGenerator random) {
        this.config = config;
        this.random = random;
        this.currentTerm = hardState.currentTerm();
        this.votedFor = config.has(Bug.FORGET_VOTE) ? null : hardState.votedFor(); // BUG forget-vote
        this.snapshot = snapshot;
        if (snapshot == null) {
            this.log = new RaftLog(0, 0, config.bootstrap(), entries); // bootstrapping (§4.1): --peers
        } else {
            // The log restarts right after the snapshot; entries it also covers are not needed again.
            long after = snapshot.lastIncludedIndex();
            if (!entries.isEmpty() && entries.getFirst().index() > after + 1) {
                throw new IllegalArgumentException("the log starts at " + entries.getFirst().index()
                        + ", leaving a gap after the snapshot of index " + after);
            }
            // The snapshot's configuration is the one in force at its index (§4.1); a snapshot of format 2
            // named its members by id only, and the bootstrap configuration still knows their URLs.
            this.log = new RaftLog(after, snapshot.lastIncludedTerm(),
                    snapshot.configuration().withUrlsFrom(config.bootstrap()),
                    entries.stream().filter(e -> e.index() > after).toList());
            // A snapshot holds only committed entries (dissertation §5.1), and the state machine starts from it.
            this.commitIndex = after;
        }
        this.persistedIndex = log.lastIndex();
        this.outbox = new Outbox(log.lastIndex(), commitIndex);
        resetElectionTimer();
    }

    void becomeFollower(long term, String newLeader) {
        if (term > currentTerm) {
            currentTerm = term;
            votedFor = null;
            outbox.hardStateChanged();
        }
        if (leader != null) {
            leader.dropReads(); // unconfirmed reads fail: they had no effect, the client may retry
            leader = null;
        }
        role = Role.FOLLOWER;
        leaderId = newLeader;
        resetElectionTimer();
    }

    void resetElectionTimer() {
        electionElapsed = 0;
        // §5.2: "election timeouts are chosen randomly from a fixed interval" so split votes are rare.
        randomizedElectionTimeout = config.electionTimeoutMinTicks()
                + random.nextInt(config.electionTimeoutMaxTicks() - config.electionTimeoutMinTicks());
    }

    boolean electionTimeoutElapsed() {
        return electionElapsed >= randomizedElectionTimeout;
    }

    /** The latest configuration in the log, committed or not: the one this node uses (§4.1). */
    ClusterConfig configuration() {
        return log.latestConfiguration();
    }

    /**
     * True if this node is a voter of its latest configuration: only a voter campaigns, votes and
     * counts toward a quorum; a learner (§4.2.1) or a removed node (§4.2.2) does none of these.
     */
    boolean isVoter() {
        return log.latestConfiguration().isVoter(config.id());
    }

    /** The other voters of the latest configuration, sorted: whom a campaign asks for votes. */
    List<String> otherVoters() {
        return log.latestConfiguration().voterIds().stream().filter(id -> !id.equals(config.id())).toList();
    }

    /** The last index of the latest snapshot, or 0 if this node has none. */
    long snapshotIndex() {
        return snapshot == null ? 0 : snapshot.lastIncludedIndex();
    }
}
