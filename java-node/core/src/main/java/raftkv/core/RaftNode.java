package raftkv.core;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * One Raft node as a deterministic state machine (Figure 2 of the Raft paper, with PreVote and
 * CheckQuorum from the dissertation). It owns no thread, socket, file or clock: a driver feeds it
 * {@link #tick()}, {@link #step(Message)}, {@link #propose} and {@link #read(long)}, then collects a
 * {@link Ready} of what to persist, send, apply and answer, and calls {@link #advance()}.
 *
 * <p>Not thread-safe, by design: exactly one thread (the driver's event loop) may touch a node.
 * Randomness comes only from the injected generator, so a seeded generator replays a run exactly.
 * The leader's per-follower state lives in {@link Leader}; the Ready bookkeeping in {@link Outbox}.
 */
public final class RaftNode {

    private final RaftConfig config;
    private final RandomGenerator random;
    private final List<String> peers;

    // Persistent state on all servers (Figure 2). The driver makes it durable from each Ready.
    private long currentTerm;
    private String votedFor;
    private final RaftLog log;
    private Snapshot snapshot; // the latest snapshot, replacing the log up to its last included index; or null

    // Volatile state on all servers (Figure 2). lastApplied lives in the state machine the driver owns.
    private long commitIndex;

    private Role role = Role.FOLLOWER;
    private String leaderId;
    private Leader leader; // non-null exactly when role == LEADER
    private final TreeSet<String> votesGranted = new TreeSet<>();
    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    private int checkQuorumTicks; // a leader's ticks until its next CheckQuorum (§6.2)

    private final Outbox outbox;
    private final SnapshotReceiver snapshotReceiver = new SnapshotReceiver();
    private long persistedIndex; // the last log index the driver has made durable
    private long lastIndexInReady = -1; // >= 0 between ready() and advance()

    private RaftNode(RaftConfig config, HardState hardState, Snapshot snapshot, List<LogEntry> entries,
            RandomGenerator random) {
        this.config = config;
        this.random = random;
        this.peers = config.members().stream().filter(m -> !m.equals(config.id())).sorted().toList();
        this.currentTerm = hardState.currentTerm();
        this.votedFor = config.has(Bug.FORGET_VOTE) ? null : hardState.votedFor(); // BUG forget-vote
        this.snapshot = snapshot;
        if (snapshot == null) {
            this.log = new RaftLog(0, 0, entries);
        } else {
            // The log restarts right after the snapshot; entries it also covers are not needed again.
            long after = snapshot.lastIncludedIndex();
            if (!entries.isEmpty() && entries.getFirst().index() > after + 1) {
                throw new IllegalArgumentException("the log starts at " + entries.getFirst().index()
                        + ", leaving a gap after the snapshot of index " + after);
            }
            this.log = new RaftLog(after, snapshot.lastIncludedTerm(),
                    entries.stream().filter(e -> e.index() > after).toList());
            // A snapshot holds only committed entries (dissertation §5.1), and the state machine starts from it.
            this.commitIndex = after;
        }
        this.persistedIndex = log.lastIndex();
        this.outbox = new Outbox(log.lastIndex(), commitIndex);
        resetElectionTimer();
    }

    /** A brand-new node with an empty log, in term 0. */
    public static RaftNode create(RaftConfig config, RandomGenerator random) {
        return restart(config, HardState.INITIAL, List.of(), random);
    }

    /**
     * A node restarting from a snapshot and the log entries persisted after (or around) it. The
     * driver restores its state machine from the same snapshot.
     */
    public static RaftNode restart(RaftConfig config, HardState hardState, Snapshot snapshot,
            List<LogEntry> entries, RandomGenerator random) {
        return new RaftNode(config, hardState, java.util.Objects.requireNonNull(snapshot, "snapshot"), entries,
                random);
    }

    /** A node restarting from what it persisted; all volatile state starts afresh (Figure 2). */
    public static RaftNode restart(
            RaftConfig config, HardState hardState, List<LogEntry> entries, RandomGenerator random) {
        return new RaftNode(config, hardState, null, entries, random);
    }

    // ---------------------------------------------------------------- inputs

    /** One unit of logical time has passed. */
    public void tick() {
        requireAdvanced();
        electionElapsed++;
        if (role == Role.LEADER) {
            tickLeader();
        } else if (electionElapsed >= randomizedElectionTimeout) {
            // Followers (§5.2): "If election timeout elapses without receiving AppendEntries RPC from
            // current leader or granting vote to candidate: convert to candidate" — via PreVote (§9.6).
            startPreVote();
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        leader.tickTransfer();
        if (heartbeatElapsed >= config.heartbeatTicks()) {
            heartbeatElapsed = 0;
            // Leaders: "send initial empty AppendEntries RPCs (heartbeat) to each server; repeat
            // during idle periods to prevent election timeouts (§5.2)"
            leader.broadcast(true, commitIndex);
        }
        if (electionElapsed >= checkQuorumTicks) {
            electionElapsed = 0;
            checkQuorumTicks = config.electionTimeoutMinTicks();
            // CheckQuorum (dissertation §6.2): a leader that has not heard from a majority within an
            // election timeout steps down, so a partitioned leader stops serving clients.
            if (!leader.heardFromMajority()) {
                becomeFollower(currentTerm, null);
            }
        }
    }

    /** Handles a message from a peer. */
    public void step(Message m) {
        requireAdvanced();
        if (!m.to().equals(config.id()) || !peers.contains(m.from())) {
            return; // misaddressed, or not from a member of this cluster: ignore
        }
        // PreVote messages never change anyone's term (§9.6): the sender has not started an election.
        if (m instanceof Message.PreVote preVote) {
            handlePreVote(preVote);
            return;
        }
        if (m instanceof Message.PreVoteReply reply) {
            handlePreVoteReply(reply);
            return;
        }
        // Leader stickiness (dissertation §4.2.3): "if a server receives a RequestVote request within
        // the minimum election timeout of hearing from a current leader, it does not update its term
        // or grant its vote." Ignored, with no reply, as etcd-io/raft does. CheckQuorum (§6.2) keeps a
        // leader's own claim sound, so a leader ignores it too. A leadership transfer's campaign is
        // exempt: "a server ... should be allowed to disrupt the current leader" when that leader
        // asked for it (§4.2.3, §3.10).
        if (m instanceof Message.RequestVote rv && !rv.leadershipTransfer() && m.term() > currentTerm
                && heardFromLiveLeader()) {
            return;
        }
        // All servers: "If RPC request or response contains term T > currentTerm: set currentTerm =
        // T, convert to follower (§5.1)"
        if (m.term() > currentTerm) {
            boolean fromLeader = m instanceof Message.AppendEntries || m instanceof Message.InstallSnapshot;
            becomeFollower(m.term(), fromLeader ? m.from() : null);
        }
        switch (m) {
            case Message.RequestVote rv -> handleRequestVote(rv);
            case Message.RequestVoteReply reply -> handleRequestVoteReply(reply);
            case Message.AppendEntries ae -> handleAppendEntries(ae);
            case Message.AppendEntriesReply reply -> handleAppendEntriesReply(reply);
            case Message.InstallSnapshot is -> handleInstallSnapshot(is);
            case Message.InstallSnapshotReply reply -> handleInstallSnapshotReply(reply);
            case Message.TimeoutNow timeoutNow -> handleTimeoutNow(timeoutNow);
            case Message.PreVote pv -> throw new AssertionError("handled above");
            case Message.PreVoteReply pvr -> throw new AssertionError("handled above");
        }
    }

    /**
     * Appends a client command if this node is the leader. Leaders: "If command received from
     * client: append entry to local log, respond after entry applied to state machine (§5.3)".
     */
    public ProposalResult propose(Command command, Session session) {
        requireAdvanced();
        if (role != Role.LEADER) {
            return new ProposalResult.NotLeader(leaderId);
        }
        if (leader.transferee() != null) {
            // §3.10: "1. The prior leader stops accepting new client requests."
            return new ProposalResult.TransferringLeadership(leader.transferee());
        }
        LogEntry entry = appendAsLeader(command, session);
        return new ProposalResult.Appended(entry.index(), entry.term());
    }

    /** Asks to serve a linearizable read, identified by the driver's {@code requestId} (§6.4). */
    public ReadResult read(long requestId) {
        requireAdvanced();
        if (config.has(Bug.STALE_READ)) {
            // BUG stale-read: answer from whatever this node has applied, leader or not.
            outbox.readStates().add(new ReadState(requestId, 0));
            return new ReadResult.Registered();
        }
        if (role != Role.LEADER) {
            return new ReadResult.NotLeader(leaderId);
        }
        leader.registerRead(requestId);
        leader.releaseReads(commitIndex); // a single-node cluster needs no one else's confirmation
        return new ReadResult.Registered();
    }

    /**
     * Hands leadership to {@code target}, or to the most up-to-date follower if it is null
     * (dissertation §3.10). Proposals are refused until the transfer ends: with a new leader, or
     * abandoned after an election timeout.
     */
    public TransferResult transferLeadership(String target) {
        requireAdvanced();
        if (role != Role.LEADER) {
            return new TransferResult.NotLeader(leaderId);
        }
        if (target != null && !leader.isFollower(target)) {
            return new TransferResult.UnknownMember(target);
        }
        if (peers.isEmpty()) {
            return new TransferResult.NoOtherMember();
        }
        String to = target == null ? leader.mostUpToDateFollower() : target;
        leader.startTransfer(to, commitIndex);
        return new TransferResult.Started(to);
    }

    /** The follower leadership is being handed to, or null (no transfer, or not the leader). */
    public String transferee() {
        return leader == null ? null : leader.transferee();
    }

    // ---------------------------------------------------------------- outputs

    /** Collects everything to persist, send, apply and answer since the last Ready. */
    public Ready ready() {
        requireAdvanced();
        if (leader != null) {
            leader.flush(commitIndex);
        }
        lastIndexInReady = log.lastIndex();
        return outbox.take(new HardState(currentTerm, votedFor), log, commitIndex);
    }

    /** The driver has persisted, sent and applied the last Ready. */
    public void advance() {
        if (lastIndexInReady < 0) {
            throw new IllegalStateException("advance() without a Ready");
        }
        persistedIndex = lastIndexInReady;
        lastIndexInReady = -1;
        if (role == Role.LEADER) {
            // The leader's own copy now counts towards a majority: it is on stable storage.
            maybeAdvanceCommit();
        }
    }

    private void requireAdvanced() {
        if (lastIndexInReady >= 0) {
            throw new IllegalStateException("handle the last Ready and call advance() first");
        }
    }

    // ---------------------------------------------------------------- elections

    private void startPreVote() {
        role = Role.PRE_CANDIDATE;
        leaderId = null;
        votesGranted.clear();
        votesGranted.add(config.id());
        resetElectionTimer();
        if (votesGranted.size() >= config.quorum()) {
            becomeCandidate(Campaign.ELECTION_TIMEOUT);
            return;
        }
        for (String peer : peers) {
            outbox.send(new Message.PreVote(currentTerm + 1, config.id(), peer, log.lastIndex(), log.lastTerm()));
        }
    }

    private void handlePreVote(Message.PreVote m) {
        // Grant only if we would grant a real vote in that term: the term is new to us, the log is at
        // least as up-to-date as ours (§5.4.1), and we have not heard from a live leader within the
        // minimum election timeout (§9.6: "... it has not received a heartbeat from a leader").
        boolean grant = m.term() > currentTerm && log.isUpToDate(m.lastLogIndex(), m.lastLogTerm())
                && !heardFromLiveLeader();
        outbox.send(new Message.PreVoteReply(grant ? m.term() : currentTerm, config.id(), m.from(), grant));
    }

    /**
     * True if this node is the leader, or heard from the current leader within the minimum election
     * timeout: then it neither pre-votes (§9.6) nor lets a RequestVote disrupt it (§4.2.3).
     */
    private boolean heardFromLiveLeader() {
        return role == Role.LEADER || (leaderId != null && electionElapsed < config.electionTimeoutMinTicks());
    }

    private void handlePreVoteReply(Message.PreVoteReply m) {
        if (!m.voteGranted()) {
            if (m.term() > currentTerm) {
                becomeFollower(m.term(), null); // §5.1: a higher term means our campaign is pointless
            }
            return;
        }
        if (role != Role.PRE_CANDIDATE || m.term() != currentTerm + 1) {
            return; // a reply to an older campaign
        }
        votesGranted.add(m.from());
        if (votesGranted.size() >= config.quorum()) {
            becomeCandidate(Campaign.ELECTION_TIMEOUT);
        }
    }

    /** Why a node campaigns: its own election timeout, or its leader's TimeoutNow (§3.10). */
    private enum Campaign {
        ELECTION_TIMEOUT,
        LEADERSHIP_TRANSFER
    }

    private void becomeCandidate(Campaign campaign) {
        // Candidates (§5.2): "On conversion to candidate, start election: increment currentTerm, vote
        // for self, reset election timer, send RequestVote RPCs to all other servers"
        role = Role.CANDIDATE;
        currentTerm++;
        votedFor = config.id();
        outbox.hardStateChanged();
        leaderId = null;
        votesGranted.clear();
        votesGranted.add(config.id());
        resetElectionTimer();
        if (votesGranted.size() >= config.quorum()) {
            becomeLeader();
            return;
        }
        for (String peer : peers) {
            outbox.send(new Message.RequestVote(currentTerm, config.id(), peer, log.lastIndex(), log.lastTerm(),
                    campaign == Campaign.LEADERSHIP_TRANSFER));
        }
    }

    private void handleRequestVote(Message.RequestVote m) {
        // RequestVote receiver: "1. Reply false if term < currentTerm (§5.1)"
        if (m.term() < currentTerm) {
            outbox.send(new Message.RequestVoteReply(currentTerm, config.id(), m.from(), false));
            return;
        }
        // "2. If votedFor is null or candidateId, and candidate's log is at least as up-to-date as
        // receiver's log, grant vote (§5.2, §5.4)"
        boolean mayVote = votedFor == null || votedFor.equals(m.from());
        boolean grant = mayVote && log.isUpToDate(m.lastLogIndex(), m.lastLogTerm());
        if (grant) {
            votedFor = m.from();
            outbox.hardStateChanged(); // persisted before the reply leaves (Ready order)
            electionElapsed = 0; // "... or granting vote to candidate" resets the election timer
        }
        outbox.send(new Message.RequestVoteReply(currentTerm, config.id(), m.from(), grant));
    }

    private void handleRequestVoteReply(Message.RequestVoteReply m) {
        if (role != Role.CANDIDATE || m.term() != currentTerm || !m.voteGranted()) {
            return;
        }
        votesGranted.add(m.from());
        // Candidates: "If votes received from majority of servers: become leader" (§5.2)
        if (votesGranted.size() >= config.quorum()) {
            becomeLeader();
        }
    }

    private void becomeLeader() {
        role = Role.LEADER;
        leaderId = config.id();
        electionElapsed = 0;
        heartbeatElapsed = 0;
        // A new leader's first messages may be slow (connections still being set up): it gets the
        // longest election timeout before its first CheckQuorum, the minimum after that. No follower
        // that hears from it can be persuaded to elect another leader in the meantime (§4.2.3).
        checkQuorumTicks = config.electionTimeoutMaxTicks();
        leader = new Leader(config, currentTerm, log, outbox, peers, () -> snapshot);
        // §8: "each leader commit a blank no-op entry into the log at the start of its term", so it
        // learns which entries are committed and can serve ReadIndex reads.
        appendAsLeader(new Command.Noop(), null);
    }

    private void becomeFollower(long term, String newLeader) {
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

    private void resetElectionTimer() {
        electionElapsed = 0;
        // §5.2: "election timeouts are chosen randomly from a fixed interval" so split votes are rare.
        randomizedElectionTimeout = config.electionTimeoutMinTicks()
                + random.nextInt(config.electionTimeoutMaxTicks() - config.electionTimeoutMinTicks());
    }

    // ---------------------------------------------------------------- log replication

    private LogEntry appendAsLeader(Command command, Session session) {
        LogEntry entry = new LogEntry(currentTerm, log.lastIndex() + 1, command, session);
        log.append(entry);
        if (config.has(Bug.ACK_BEFORE_COMMIT)) {
            maybeAdvanceCommit();
        }
        leader.entriesAppended();
        return entry;
    }

    private void handleAppendEntries(Message.AppendEntries m) {
        // AppendEntries receiver: "1. Reply false if term < currentTerm (§5.1)"
        if (m.term() < currentTerm) {
            outbox.send(new Message.AppendEntriesReply(currentTerm, config.id(), m.from(), false, 0, 0, 0, m.probe()));
            return;
        }
        if (!isWellFormed(m)) {
            return; // malformed: entries must follow prevLogIndex one by one. Dropping it is safe.
        }
        // Candidates: "If AppendEntries RPC received from new leader: convert to follower" (§5.2)
        if (role != Role.FOLLOWER || leaderId == null) {
            becomeFollower(currentTerm, m.from());
        }
        electionElapsed = 0;
        if (m.prevLogIndex() < log.prevIndex()) {
            // The message starts inside our snapshot: those entries are committed, hence the same as
            // the leader's (Leader Completeness, §5.4), so only the part after the snapshot needs checking.
            if (m.prevLogIndex() + m.entries().size() <= log.prevIndex()) {
                outbox.send(new Message.AppendEntriesReply(currentTerm, config.id(), m.from(), true, log.prevIndex(),
                        0, 0, m.probe()));
                return;
            }
            m = afterCompactedPrefix(m);
        }
        // "2. Reply false if log doesn't contain an entry at prevLogIndex whose term matches
        // prevLogTerm (§5.3)" — with a hint so the leader can skip a whole term per round trip.
        long termThere = log.termAt(m.prevLogIndex());
        if (termThere != m.prevLogTerm()) {
            long conflictTerm = termThere < 0 ? 0 : termThere;
            long conflictIndex = termThere < 0
                    ? log.lastIndex() + 1
                    : log.firstIndexOfTerm(termThere, m.prevLogIndex());
            outbox.send(new Message.AppendEntriesReply(currentTerm, config.id(), m.from(), false, 0,
                    conflictTerm, conflictIndex, m.probe()));
            return;
        }
        for (LogEntry entry : m.entries()) {
            long existingTerm = log.termAt(entry.index());
            if (existingTerm == entry.term()) {
                continue; // already have it: a duplicated or reordered message
            }
            if (existingTerm > 0) {
                // "3. If an existing entry conflicts with a new one (same index but different terms),
                // delete the existing entry and all that follow it (§5.3)"
                truncate(entry.index());
            }
            // "4. Append any new entries not already in the log"
            log.append(entry);
        }
        long lastNewIndex = m.prevLogIndex() + m.entries().size();
        // "5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)"
        if (m.leaderCommit() > commitIndex) {
            commitIndex = Math.max(commitIndex, Math.min(m.leaderCommit(), lastNewIndex));
        }
        outbox.send(new Message.AppendEntriesReply(currentTerm, config.id(), m.from(), true, lastNewIndex, 0, 0,
                m.probe()));
    }

    /** The same AppendEntries without the entries at or before the log's compaction boundary. */
    private Message.AppendEntries afterCompactedPrefix(Message.AppendEntries m) {
        long boundary = log.prevIndex();
        List<LogEntry> rest = m.entries().stream().filter(e -> e.index() > boundary).toList();
        return new Message.AppendEntries(m.term(), m.from(), m.to(), boundary, log.termAt(boundary), rest,
                m.leaderCommit(), m.probe());
    }

    private static boolean isWellFormed(Message.AppendEntries m) {
        long expected = m.prevLogIndex() + 1;
        for (LogEntry entry : m.entries()) {
            if (entry.index() != expected++ || entry.term() > m.term()) {
                return false;
            }
        }
        return m.prevLogIndex() > 0 || (m.prevLogIndex() == 0 && m.prevLogTerm() == 0); // index 0 is term 0
    }

    private void truncate(long index) {
        if (index <= commitIndex) {
            if (config.bugs().isEmpty()) {
                // Leader Completeness (§5.4) makes this impossible in a correct cluster.
                throw new IllegalStateException(
                        "refusing to truncate committed entry " + index + " (commit " + commitIndex + ")");
            }
            // Under a bug switch a "committed" entry can be overwritten: let the state machine diverge,
            // as a real buggy implementation would, so the checkers have something to find.
            commitIndex = index - 1;
        }
        log.truncateFrom(index);
        outbox.truncated(index);
        // persistedIndex may now exceed lastIndex; only a leader reads it, and every advance() resets it
        // before this node can become one.
    }

    private void handleAppendEntriesReply(Message.AppendEntriesReply m) {
        if (role != Role.LEADER || m.term() != currentTerm) {
            return; // a reply to an older term
        }
        leader.onReply(m);
        afterFollowerAnswered(m.from()); // the next batch, or the retry after a rejection
    }

    /**
     * A follower's matchIndex may have moved: commit what a majority now holds (§5.3), release the
     * reads that waited for this round (§6.4), and send that follower what it still lacks.
     */
    private void afterFollowerAnswered(String follower) {
        maybeAdvanceCommit();
        leader.releaseReads(commitIndex);
        leader.catchUp(follower, commitIndex);
    }

    /**
     * Leaders: "If there exists an N such that N > commitIndex, a majority of matchIndex[i] ≥ N, and
     * log[N].term == currentTerm: set commitIndex = N (§5.3, §5.4)".
     */
    private void maybeAdvanceCommit() {
        long n = config.has(Bug.ACK_BEFORE_COMMIT)
                ? log.lastIndex() // BUG ack-before-commit: the leader's own copy is "enough"
                : leader.majorityMatchIndex(persistedIndex);
        if (n <= commitIndex) {
            return;
        }
        // §5.4.2: "Raft never commits log entries from previous terms by counting replicas. Only log
        // entries from the leader's current term are committed by counting replicas."
        if (log.termAt(n) != currentTerm && !config.has(Bug.COMMIT_PREVIOUS_TERM)) {
            return;
        }
        commitIndex = n;
        leader.releaseReads(commitIndex);
        // Followers learn the new commit index with the next AppendEntries (heartbeat or new entries).
    }

    // ---------------------------------------------------------------- log compaction (dissertation ch. 5)

    /** True if the state machine applied enough entries since the last snapshot to take a new one. */
    public boolean snapshotDue(long appliedIndex) {
        return appliedIndex - snapshotIndex() >= config.snapshotEntries();
    }

    /**
     * The driver snapshotted its state machine at {@code appliedIndex}: "each server takes snapshots
     * independently, covering just the committed entries in its log" (§5.1). The log keeps
     * {@link RaftConfig#snapshotTrailingEntries()} entries behind the snapshot for slow followers;
     * the next Ready asks the driver to save the snapshot and cut its log.
     */
    public void compact(long appliedIndex, byte[] stateMachine) {
        requireAdvanced();
        if (appliedIndex <= snapshotIndex() || appliedIndex > commitIndex) {
            throw new IllegalArgumentException("cannot snapshot at " + appliedIndex + ": the last snapshot is at "
                    + snapshotIndex() + " and the commit index " + commitIndex);
        }
        snapshot = new Snapshot(appliedIndex, log.termAt(appliedIndex), config.members(), stateMachine);
        long firstKept = Math.max(log.firstIndex(), appliedIndex - config.snapshotTrailingEntries() + 1);
        log.compactBefore(firstKept);
        outbox.snapshotTaken(snapshot, firstKept);
    }

    /** InstallSnapshot receiver (dissertation Figure 5.3; extended Raft paper Figure 13). */
    private void handleInstallSnapshot(Message.InstallSnapshot m) {
        // "1. Reply immediately if term < currentTerm"
        if (m.term() < currentTerm) {
            outbox.send(new Message.InstallSnapshotReply(currentTerm, config.id(), m.from(), m.lastIncludedIndex(), 0, 0));
            return;
        }
        if (m.offset() < 0 || m.offset() + m.data().length > Integer.MAX_VALUE || m.lastIncludedIndex() < 1
                || m.lastIncludedTerm() < 1 || m.lastIncludedTerm() > m.term()) {
            return; // malformed: no leader sends this. Dropping it is safe.
        }
        // It comes from the leader of our term, like an AppendEntries (§5.2).
        if (role != Role.FOLLOWER || leaderId == null) {
            becomeFollower(currentTerm, m.from());
        }
        electionElapsed = 0;
        // Rules 2-5: assemble the chunks.
        switch (snapshotReceiver.accept(m)) {
            case SnapshotReceiver.Outcome.Partial partial -> outbox.send(new Message.InstallSnapshotReply(
                    currentTerm, config.id(), m.from(), m.lastIncludedIndex(), partial.nextOffset(), 0));
            case SnapshotReceiver.Outcome.Complete complete -> {
                long matchIndex = install(complete.snapshot());
                outbox.send(new Message.InstallSnapshotReply(currentTerm, config.id(), m.from(), m.lastIncludedIndex(),
                        complete.snapshot().size(), matchIndex));
            }
        }
    }

    /** Rules 6-8 of the InstallSnapshot receiver, once the whole snapshot arrived. Returns the new match index. */
    private long install(Snapshot received) {
        long index = received.lastIncludedIndex();
        if (index <= commitIndex) {
            // Everything it holds is committed and applied here already: installing it would move the
            // state machine back in time (etcd-io/raft ignores such a snapshot the same way).
            return commitIndex;
        }
        // "6. If existing log entry has same index and term as snapshot's last included entry, retain
        // log entries following it and reply" — those entries are committed: apply them from the log.
        if (log.termAt(index) == received.lastIncludedTerm()) {
            commitIndex = index;
            return index;
        }
        // "7. Discard the entire log"
        log.resetAfter(received);
        // "8. Reset state machine using snapshot contents (and load snapshot's cluster configuration)"
        // — the driver does, when it handles the Ready; the membership is fixed in raftkv.
        snapshot = received;
        commitIndex = index;
        outbox.snapshotInstalled(received);
        return index;
    }

    private void handleInstallSnapshotReply(Message.InstallSnapshotReply m) {
        if (role != Role.LEADER || m.term() != currentTerm) {
            return; // a reply to an older term
        }
        leader.onSnapshotReply(m);
        afterFollowerAnswered(m.from()); // the next chunk, or the entries after the snapshot
    }

    /**
     * §3.10: TimeoutNow "has the same effect as the target server's election timer firing: the target
     * server starts a new election (incrementing its term and becoming a candidate)" — at once, with
     * no PreVote: its leader asked for it.
     */
    private void handleTimeoutNow(Message.TimeoutNow m) {
        if (m.term() != currentTerm || role != Role.FOLLOWER) {
            return; // from an older term, or we are no longer that leader's follower
        }
        becomeCandidate(Campaign.LEADERSHIP_TRANSFER);
    }

    // ---------------------------------------------------------------- observation (tests, status)

    public String id() {
        return config.id();
    }

    public RaftConfig config() {
        return config;
    }

    public Role role() {
        return role;
    }

    public long currentTerm() {
        return currentTerm;
    }

    public String votedFor() {
        return votedFor;
    }

    /** The known leader of the current term, or null. */
    public String leaderId() {
        return leaderId;
    }

    public long commitIndex() {
        return commitIndex;
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
        return snapshot == null ? 0 : snapshot.lastIncludedIndex();
    }

    /** The latest snapshot, or null. */
    public Snapshot snapshot() {
        return snapshot;
    }

    public Status status() {
        Map<String, Long> matches = leader == null ? Map.of() : leader.matchIndexes();
        return new Status(config.id(), role, currentTerm, leaderId, commitIndex, log.lastIndex(), log.lastTerm(),
                matches, snapshotIndex(), log.firstIndex());
    }
}
