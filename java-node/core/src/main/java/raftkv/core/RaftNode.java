package raftkv.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * One Raft node as a deterministic state machine (Figure 2 of the Raft paper, with PreVote and
 * CheckQuorum from the dissertation). It owns no thread, socket, file or clock: a driver feeds it
 * {@link #tick()}, {@link #step(Message)}, {@link #propose} and {@link #read(long)}, then collects a
 * {@link Ready} of what to persist, send, apply and answer, and calls {@link #advance()}.
 *
 * <p>Not thread-safe, by design: exactly one thread (the driver's event loop) may touch a node.
 * Randomness comes only from the injected generator, so a seeded generator replays a run exactly.
 *
 * <p>This class takes the inputs and hands each to the rules it concerns: Figure 2's state lives in
 * {@link NodeState}; which role handles which tick and message, in {@link RulesForServers} (Figure 2's
 * "Rules for Servers", one step per role); elections and PreVote in {@link Elections}; the
 * AppendEntries receiver and the commit rule in {@link LogReplication}; snapshots and the
 * InstallSnapshot receiver in {@link LogCompaction}; TimeoutNow in {@link LeadershipTransfer}; requests
 * a follower sends on to the leader in {@link OutgoingForwards}, and the leader's side in
 * {@link IncomingForwards}. The leader's per-follower state is
 * {@link Leader}, the Ready bookkeeping {@link Outbox}.
 */
public final class RaftNode {

    private final NodeState state;
    private final RaftConfig config;
    private final RaftLog log;
    private final Outbox outbox;
    private final LogReplication replication;
    private final LogCompaction compaction;
    private final LeadershipTransfer transfer;
    private final OutgoingForwards outgoing;
    private final Membership membership;
    private final RulesForServers rules;
    private long lastIndexInReady = -1; // >= 0 between ready() and advance()

    private RaftNode(RaftConfig config, HardState hardState, Snapshot snapshot, List<LogEntry> entries,
            RandomGenerator random, SnapshotSink sink, long incarnation) {
        this.state = new NodeState(config, hardState, snapshot, entries, random);
        this.config = config;
        this.log = state.log;
        this.outbox = state.outbox;
        this.replication = new LogReplication(state);
        Elections elections = new Elections(state, replication);
        this.compaction = new LogCompaction(state, replication, sink);
        this.transfer = new LeadershipTransfer(state, elections);
        this.outgoing = new OutgoingForwards(state, incarnation);
        this.membership = new Membership(state, replication);
        this.rules = new RulesForServers(state, elections, replication, compaction, transfer, outgoing,
                new IncomingForwards(state, this::propose));
    }

    /**
     * The incarnation of a node made by the factories that take none (tests, one boot only). A
     * process that restarts passes a random one of its own to
     * {@link #restart(RaftConfig, HardState, Optional, List, RandomGenerator, SnapshotSink, long)}.
     */
    public static final long SINGLE_BOOT = 0;

    /** A brand-new node with an empty log, in term 0; it receives snapshots in memory. */
    public static RaftNode create(RaftConfig config, RandomGenerator random) {
        return restart(config, HardState.INITIAL, List.of(), random);
    }

    /**
     * A node restarting from a snapshot and the log entries persisted after (or around) it; it
     * receives snapshots in memory. The driver restores its state machine from the same snapshot.
     */
    public static RaftNode restart(RaftConfig config, HardState hardState, Snapshot snapshot,
            List<LogEntry> entries, RandomGenerator random) {
        return new RaftNode(config, hardState, Objects.requireNonNull(snapshot, "snapshot"), entries, random,
                SnapshotSink.inMemory(), SINGLE_BOOT);
    }

    /** A node restarting from what it persisted; all volatile state starts afresh (Figure 2). */
    public static RaftNode restart(
            RaftConfig config, HardState hardState, List<LogEntry> entries, RandomGenerator random) {
        return new RaftNode(config, hardState, null, entries, random, SnapshotSink.inMemory(), SINGLE_BOOT);
    }

    /** As below, for a node that boots once only (tests): incarnation {@link #SINGLE_BOOT}. */
    public static RaftNode restart(RaftConfig config, HardState hardState, Optional<Snapshot> snapshot,
            List<LogEntry> entries, RandomGenerator random, SnapshotSink sink) {
        return restart(config, hardState, snapshot, entries, random, sink, SINGLE_BOOT);
    }

    /**
     * A node restarting from what its storage recovered: the newest snapshot if there is one, and
     * the log entries after (or around) it. Snapshots the leader sends go to {@code sink}.
     *
     * @param incarnation this boot's number, drawn at random by the caller at every start (the core
     *     has no randomness of its own but {@code random}, which may be seeded): the requests this node
     *     forwards carry it, so the leader keeps them apart from an earlier boot's
     *     ({@link Message.ForwardedProposal})
     */
    public static RaftNode restart(RaftConfig config, HardState hardState, Optional<Snapshot> snapshot,
            List<LogEntry> entries, RandomGenerator random, SnapshotSink sink, long incarnation) {
        return new RaftNode(config, hardState, snapshot.orElse(null), entries, random, sink, incarnation);
    }

    // ---------------------------------------------------------------- inputs

    /** One unit of logical time has passed ({@link RulesForServers#tick}). */
    public void tick() {
        requireAdvanced();
        rules.tick();
    }

    /** Handles a message from a peer ({@link RulesForServers#step}: all servers' rules, then its role's). */
    public void step(Message m) {
        requireAdvanced();
        rules.step(m);
    }

    /**
     * Appends a client command if this node is the leader. Leaders: "If command received from
     * client: append entry to local log, respond after entry applied to state machine (§5.3)".
     */
    public ProposalResult propose(Command command, Session session) {
        requireAdvanced();
        if (state.role != Role.LEADER) {
            return new ProposalResult.NotLeader(state.leaderId);
        }
        if (state.leader.transferee() != null) {
            // §3.10: "1. The prior leader stops accepting new client requests."
            return new ProposalResult.TransferringLeadership(state.leader.transferee());
        }
        LogEntry entry = replication.appendAsLeader(command, session);
        return new ProposalResult.Appended(entry.index(), entry.term());
    }

    /**
     * Proposes one membership change (dissertation §4.1), on the leader only; a definite answer (see
     * {@link ConfigChange} for the whole API: how it is proposed, and how its commit is learnt).
     */
    public ConfigChangeResult proposeConfigChange(ConfigChange change) {
        requireAdvanced();
        return membership.propose(change);
    }

    /**
     * Like {@link #propose}, but a follower that knows its leader sends the command on to it as
     * forward {@code proposalId} ({@link OutgoingForwards}); an id the caller never used before.
     */
    public ProposalResult proposeOrForward(Command command, Session session, long proposalId) {
        requireAdvanced();
        if (state.role == Role.FOLLOWER && state.leaderId != null) {
            return outgoing.forwardProposal(command, session, proposalId);
        }
        return propose(command, session);
    }

    /**
     * Like {@link #read}, but a follower that knows its leader asks it for a read index and serves
     * the read itself (dissertation §6.4, "Followers can also serve reads"); the ReadState or dropped
     * read appears in a later Ready either way.
     */
    public ReadResult readOrForward(long requestId) {
        requireAdvanced();
        if (state.role == Role.FOLLOWER && state.leaderId != null && !config.has(Bug.STALE_READ)) {
            return outgoing.forwardRead(requestId);
        }
        return read(requestId);
    }

    /** Asks to serve a linearizable read, identified by the driver's {@code requestId} (§6.4). */
    public ReadResult read(long requestId) {
        requireAdvanced();
        if (config.has(Bug.STALE_READ)) {
            // BUG stale-read: answer from whatever this node has applied, leader or not.
            outbox.readStates().add(new ReadState(requestId, 0));
            return new ReadResult.Registered();
        }
        if (state.role != Role.LEADER) {
            return new ReadResult.NotLeader(state.leaderId);
        }
        state.leader.registerRead(requestId);
        state.leader.releaseReads(state.commitIndex); // a single-node cluster needs no one else's confirmation
        return new ReadResult.Registered();
    }

    /**
     * Hands leadership to {@code target}, or to the most up-to-date follower if it is null
     * (dissertation §3.10). Proposals are refused until the transfer ends: with a new leader, or
     * abandoned after an election timeout.
     */
    public TransferResult transferLeadership(String target) {
        requireAdvanced();
        return transfer.start(target);
    }

    /** The follower leadership is being handed to, or null (no transfer, or not the leader). */
    public String transferee() {
        return state.leader == null ? null : state.leader.transferee();
    }

    /** True if the state machine applied enough entries since the last snapshot to take a new one. */
    public boolean snapshotDue(long appliedIndex) {
        return compaction.snapshotDue(appliedIndex);
    }

    /**
     * The driver's snapshot of its state machine is durable (dissertation §5.1); its last included
     * index must be committed and past the last snapshot, its term that of the log's entry there.
     * The log keeps {@link RaftConfig#snapshotTrailingEntries()} entries behind the snapshot for slow
     * followers; the next Ready asks the driver to cut its log (a {@link SnapshotChange.Taken}).
     */
    public void compact(Snapshot snapshot) {
        requireAdvanced();
        compaction.compact(snapshot);
    }

    /** {@link #compact(Snapshot)} with the state machine's bytes at {@code appliedIndex}, in memory (tests). */
    public void compact(long appliedIndex, byte[] stateMachine) {
        requireAdvanced();
        compaction.requireCompactable(appliedIndex);
        compaction.compact(new Snapshot(appliedIndex, log.termAt(appliedIndex), log.configurationAt(appliedIndex),
                stateMachine));
    }

    // ---------------------------------------------------------------- outputs

    /** Collects everything to persist, send, apply and answer since the last Ready. */
    public Ready ready() {
        requireAdvanced();
        outgoing.giveUpOnFormerLeaders();
        if (state.leader != null) {
            state.leader.flush(state.commitIndex);
        }
        lastIndexInReady = log.lastIndex();
        return outbox.take(new HardState(state.currentTerm, state.votedFor), log, state.commitIndex);
    }

    /** The driver has persisted, sent and applied the last Ready. */
    public void advance() {
        if (lastIndexInReady < 0) {
            throw new IllegalStateException("advance() without a Ready");
        }
        state.persistedIndex = lastIndexInReady;
        lastIndexInReady = -1;
        if (state.role == Role.LEADER) {
            // The leader's own copy now counts towards a majority: it is on stable storage.
            replication.maybeAdvanceCommit();
        }
    }

    private void requireAdvanced() {
        if (lastIndexInReady >= 0) {
            throw new IllegalStateException("handle the last Ready and call advance() first");
        }
    }

    // ---------------------------------------------------------------- observation (tests, status)

    public String id() {
        return config.id();
    }

    public RaftConfig config() {
        return config;
    }

    /** The latest configuration in this node's log, committed or not: the one it uses (§4.1). */
    public ClusterConfig configuration() {
        return log.latestConfiguration();
    }

    /** The configuration in force at {@code index} (from {@link #firstLogIndex()} - 1 on): for snapshots. */
    public ClusterConfig configurationAt(long index) {
        return log.configurationAt(index);
    }

    public Role role() {
        return state.role;
    }

    public long currentTerm() {
        return state.currentTerm;
    }

    public String votedFor() {
        return state.votedFor;
    }

    /** The known leader of the current term, or null. */
    public String leaderId() {
        return state.leaderId;
    }

    public long commitIndex() {
        return state.commitIndex;
    }

    /** The log entries this node holds now, from {@link #firstLogIndex()} on (a read-only view). */
    public List<LogEntry> log() {
        return log.view();
    }

    /** The index of the first entry in {@link #log()}: 1, or the first after the compacted prefix. */
    public long firstLogIndex() {
        return log.firstIndex();
    }

    /** The term of the entry at {@code index} (for checkers): from firstLogIndex() - 1 on; -1 past the end. */
    public long termAt(long index) {
        return log.termAt(index);
    }

    /** The last index of the latest snapshot, or 0 if this node has none. */
    public long snapshotIndex() {
        return state.snapshotIndex();
    }

    /** The latest snapshot, or null. */
    public Snapshot snapshot() {
        return state.snapshot;
    }

    public Status status() {
        Map<String, Long> matches = state.leader == null ? Map.of() : state.leader.tracker().matchIndexes();
        return new Status(config.id(), state.role, state.currentTerm, state.leaderId, state.commitIndex,
                log.lastIndex(), log.lastTerm(), matches, snapshotIndex(), log.firstIndex(), log.latestConfiguration(),
                state.leader == null ? new java.util.TreeSet<>() : state.leader.tracker().lostData());
    }
}
