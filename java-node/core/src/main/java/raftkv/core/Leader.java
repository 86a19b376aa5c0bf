package raftkv.core;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Figure 2's "volatile state on leaders (reinitialized after election)": one {@link Progress} per
 * follower, plus the ReadIndex bookkeeping and the forwards taken in ({@link ForwardsTakenIn}). An
 * instance lives for exactly one term of leadership; stepping down throws it away.
 */
final class Leader {

    private final RaftConfig config;
    private final long term;
    private final RaftLog log;
    private final Outbox outbox;
    private final Supplier<Snapshot> latestSnapshot;
    private final ProgressTracker tracker;
    private final Map<String, Progress> followers; // the tracker's: every other member of the latest configuration
    private final ReadIndexTracker reads = new ReadIndexTracker();
    private final ForwardsTakenIn forwards = new ForwardsTakenIn();
    private long nextRound = 1; // rounds only compare within one term: replies of other terms are ignored
    private boolean readHeartbeatDue;
    private boolean replicationDue;
    private String transferee; // leadership transfer in progress to this follower (§3.10), or null
    private int transferElapsed;
    private boolean timeoutNowSent;

    Leader(RaftConfig config, long term, RaftLog log, Outbox outbox, Supplier<Snapshot> latestSnapshot) {
        this.config = config;
        this.term = term;
        this.log = log;
        this.outbox = outbox;
        this.latestSnapshot = latestSnapshot;
        // nextIndex: "initialized to leader last log index + 1"; matchIndex: "initialized to 0"
        this.tracker = new ProgressTracker(config.id(), log.latestConfiguration(), log.lastIndex() + 1,
                config.maxInflightMessages());
        this.followers = tracker.followers();
    }

    /**
     * The leader appended a configuration entry: it is in force at once (§4.1). A new member is sent
     * the log from the start of its probe; a member that left gets nothing more.
     */
    void configurationAppended() {
        tracker.sync(log.latestConfiguration(), log.lastIndex(), config.maxInflightMessages());
        forwards.forgetAllBut(followers.keySet());
        if (transferee != null && !tracker.configuration().isVoter(transferee)) {
            transferee = null;
        }
    }

    ProgressTracker tracker() {
        return tracker;
    }

    /**
     * Leaders: "send initial empty AppendEntries RPCs (heartbeat) to each server; repeat during idle
     * periods to prevent election timeouts (§5.2)". Also the round that confirms reads (§6.4).
     */
    void broadcastHeartbeat(long commitIndex) {
        for (String peer : followers.keySet()) {
            sendHeartbeat(peer, commitIndex);
        }
    }

    /** New entries were appended: replicate them with the next Ready, in as few messages as possible. */
    void entriesAppended() {
        replicationDue = true;
    }

    /**
     * Called when a Ready is assembled: one heartbeat round if reads are waiting for confirmation
     * (§6.4 step 3), then the new entries to every follower that is keeping up. Batching here, not
     * per proposal, turns a burst of proposals into one AppendEntries per follower.
     */
    void flush(long commitIndex) {
        if (readHeartbeatDue) {
            readHeartbeatDue = false;
            broadcastHeartbeat(commitIndex);
        }
        if (replicationDue) {
            replicationDue = false;
            for (String peer : followers.keySet()) {
                catchUp(peer, commitIndex);
            }
        }
        for (Map.Entry<String, Progress> e : followers.entrySet()) {
            if (awaitsCommitNews(e.getKey(), e.getValue(), commitIndex)) {
                sendHeartbeat(e.getKey(), commitIndex);
            }
        }
    }

    /**
     * The follower waits for the commit of a proposal it forwarded, and the leader has committed
     * more than it last told it: tell it now, rather than with the next heartbeat, so the follower
     * can apply the entry and answer its client (it answers from its own state machine).
     */
    private boolean awaitsCommitNews(String peer, Progress p, long commitIndex) {
        return forwards.appendedUpTo(peer) > p.commitSent && commitIndex > p.commitSent
                && p.mode != Progress.Mode.SNAPSHOT;
    }

    /** The proposals followers forwarded that this leader took in. */
    ForwardsTakenIn forwards() {
        return forwards;
    }

    /**
     * Sends a follower the entries it lacks: one message while probing; once it is keeping up, up to
     * maxAppendBurst messages (each at most maxEntriesPerAppend entries) this turn, as long as its
     * inflight window has room.
     */
    void catchUp(String peer, long commitIndex) {
        Progress p = followers.get(peer);
        if (p == null || p.lostData) {
            return; // gone from the configuration, or it lost its data: heartbeats only, no reject loop
        }
        int messages = 0;
        do {
            sendAppend(peer, commitIndex);
        } while (p.mode == Progress.Mode.REPLICATE && p.nextIndex <= log.lastIndex() && !p.paused()
                && ++messages < config.maxAppendBurst());
    }

    /**
     * Sends a follower the next entries it lacks, if it is not paused; or, if the entry before
     * nextIndex was compacted, the next chunks of a snapshot.
     */
    private void sendAppend(String peer, long commitIndex) {
        Progress p = followers.get(peer);
        // No AppendEntries can pass the follower's consistency check: "the leader must occasionally
        // send snapshots to followers that lag behind ... when the leader has already discarded the
        // next log entry that it needs to send to a follower" (Raft paper §7; dissertation §5.1).
        if (p.nextIndex <= log.prevIndex()) {
            sendSnapshotChunks(peer, p);
            return;
        }
        if (p.nextIndex <= log.lastIndex() && !p.paused()) {
            sendEntries(peer, p, commitIndex);
        }
    }

    /**
     * A heartbeat: an AppendEntries sent whatever the follower's flow control says, so it hears from
     * its leader (§5.2) and answers this round (§6.4). It carries entries while they fit the window (a
     * probe that was lost is thus sent again), never a snapshot chunk.
     */
    private void sendHeartbeat(String peer, long commitIndex) {
        Progress p = followers.get(peer);
        if (p.nextIndex <= log.prevIndex() || p.lostData) {
            // The follower needs (or is receiving) the snapshot. An empty AppendEntries at the compaction
            // boundary: its rejection leaves the transfer alone (onReply); the chunks move with the
            // transfer's replies and retransmit timer, not with the heartbeat period.
            outbox.send(new Message.AppendEntries(term, config.id(), peer, log.prevIndex(),
                    log.termAt(log.prevIndex()), List.of(), commitIndex, nextRound++));
            p.commitSent = commitIndex;
            return;
        }
        sendEntries(peer, p, commitIndex);
    }

    private void sendEntries(String peer, Progress p, long commitIndex) {
        long prevLogIndex = p.nextIndex - 1;
        // An AppendEntries to a follower whose window is full (only a heartbeat) carries no entries. Its
        // answer still says whether what is in flight arrived: a success frees the window, a rejection
        // (the messages were lost) sends the leader back to probing.
        long last = p.mode == Progress.Mode.REPLICATE && p.inflights.full()
                ? prevLogIndex
                : Math.min(log.lastIndex(), prevLogIndex + config.maxEntriesPerAppend());
        outbox.send(new Message.AppendEntries(term, config.id(), peer, prevLogIndex, log.termAt(prevLogIndex),
                log.slice(p.nextIndex, last), commitIndex, nextRound++));
        p.commitSent = commitIndex;
        if (p.mode != Progress.Mode.REPLICATE) {
            p.awaitingReply = true;
        } else if (last > prevLogIndex) {
            p.inflights.add(last);
            p.nextIndex = last + 1; // optimistic: the follower will tell us if a message was lost
        }
    }

    /**
     * Sends the follower the chunks its transfer's window has room for. The first call pins the latest
     * snapshot (etcd-io/raft's PendingSnapshot); a newer snapshot taken during the transfer waits for
     * the next one.
     */
    private void sendSnapshotChunks(String peer, Progress p) {
        if (p.mode != Progress.Mode.SNAPSHOT) {
            p.becomeSnapshot(new SnapshotTransfer(latestSnapshot.get(), config.snapshotChunkBytes(),
                    config.snapshotChunksInFlight()));
        }
        SnapshotTransfer transfer = p.snapshotTransfer;
        Snapshot snapshot = transfer.snapshot();
        while (transfer.windowHasRoom()) {
            SnapshotTransfer.Chunk chunk = transfer.nextChunk();
            outbox.send(new Message.InstallSnapshot(term, config.id(), peer, snapshot.lastIncludedIndex(),
                    snapshot.lastIncludedTerm(), snapshot.configuration(), chunk.offset(), chunk.data(), chunk.done()));
        }
    }

    /**
     * One tick of every snapshot transfer: one that heard nothing new for a minimum election timeout
     * lost a chunk or a reply, and sends its window again from the follower's last reported offset.
     */
    void tickSnapshotTransfers() {
        for (Map.Entry<String, Progress> e : followers.entrySet()) {
            Progress p = e.getValue();
            if (p.mode == Progress.Mode.SNAPSHOT && p.snapshotTransfer.tickRewinds(config.electionTimeoutMinTicks())) {
                sendSnapshotChunks(e.getKey(), p);
            }
        }
    }

    /** Records a follower's answer to an InstallSnapshot of this term. */
    void onSnapshotReply(Message.InstallSnapshotReply m) {
        Progress p = followers.get(m.from());
        p.recentlyActive = true;
        if (m.matchIndex() > 0) {
            // The follower installed the snapshot (or already had its entries): like a successful
            // AppendEntries, "update nextIndex and matchIndex for follower (§5.3)".
            raiseMatch(p, m.matchIndex());
            p.nextIndex = Math.max(p.nextIndex, p.matchIndex + 1);
            if (p.mode == Progress.Mode.SNAPSHOT
                    && (p.matchIndex >= p.snapshotTransfer.index() || p.nextIndex > log.prevIndex())) {
                p.becomeProbe(); // the transfer is over: probe from there (another snapshot if need be)
            }
        } else if (p.mode == Progress.Mode.SNAPSHOT && m.lastIncludedIndex() == p.snapshotTransfer.index()) {
            p.snapshotTransfer.acknowledged(m.nextOffset());
        }
    }

    /** Records a follower's answer to an AppendEntries of this term. */
    void onReply(Message.AppendEntriesReply m) {
        Progress p = followers.get(m.from());
        if (p.lostData) {
            return; // it answers the heartbeats; nothing else goes to it until it is removed
        }
        p.recentlyActive = true;
        p.ackedRound = Math.max(p.ackedRound, m.round());
        if (p.mode == Progress.Mode.SNAPSHOT) {
            p.snapshotTransfer.heardFrom(); // it is up: no longer back off its retransmits
            onReplyDuringTransfer(m.from(), p, m);
            return;
        }
        p.awaitingReply = false;
        if (m.success()) {
            // Leaders: "If successful: update nextIndex and matchIndex for follower (§5.3)"
            raiseMatch(p, m.matchIndex());
            p.nextIndex = Math.max(p.nextIndex, p.matchIndex + 1);
            if (p.mode == Progress.Mode.REPLICATE) {
                p.inflights.freeUpTo(p.matchIndex); // every message ending there has arrived
            } else {
                p.becomeReplicate();
            }
            maybeSendTimeoutNow(m.from());
        } else {
            // "If AppendEntries fails because of log inconsistency: decrement nextIndex and retry
            // (§5.3)" — skipping the follower's whole conflicting term at once. (A rejection for a
            // stale term never gets here: it carries a newer term, and the leader has stepped down.)
            if (m.conflictTerm() == 0 && m.conflictIndex() > 0 && m.conflictIndex() - 1 < p.matchIndex
                    && m.round() >= p.matchKnownRound) {
                // Its log is shorter than what it acknowledged, in answer to a message sent after that
                // acknowledgement: it lost its data. (conflictIndex 0 is no log length: it answers an
                // AppendEntries of an earlier term of ours, rule 1, whose round numbers were another count.) "matchIndex ... increases monotonically" (Figure 2),
                // so probing below it would be rejected for ever, at the speed of the network. Mark it
                // once, count it for nothing, send it heartbeats only (issue 20: 14.7 M messages in 4 min).
                tracker.markLostData(m.from());
                p.becomeProbe();
                return;
            }
            long lastOfTerm = m.conflictTerm() > 0 ? log.lastIndexOfTerm(m.conflictTerm()) : 0; // 0 if none
            long next = lastOfTerm > 0 ? lastOfTerm + 1 : m.conflictIndex();
            p.nextIndex = Math.max(p.matchIndex + 1, Math.min(next, log.lastIndex() + 1));
            p.becomeProbe();
        }
    }

    /**
     * An AppendEntries reply from a follower receiving a snapshot: mostly to a heartbeat. A rejection
     * only repeats that its log does not reach the compaction boundary, which is why it gets the
     * snapshot: the transfer goes on. A success means its log now matches far enough for entries.
     */
    private void onReplyDuringTransfer(String peer, Progress p, Message.AppendEntriesReply m) {
        if (!m.success()) {
            return;
        }
        raiseMatch(p, m.matchIndex());
        p.nextIndex = Math.max(p.nextIndex, p.matchIndex + 1);
        if (p.nextIndex > log.prevIndex()) {
            p.becomeReplicate(); // ends the transfer
            maybeSendTimeoutNow(peer);
        }
    }

    private void raiseMatch(Progress p, long matchIndex) {
        if (matchIndex > p.matchIndex) {
            p.matchIndex = matchIndex;
            p.matchKnownRound = nextRound;
        }
    }

    // ---------------------------------------------------------------- leadership transfer (§3.10)

    /**
     * Starts handing leadership to {@code target}. §3.10: "1. The prior leader stops accepting new
     * client requests. 2. The prior leader fully updates the target server's log to match its own
     * ... 3. The prior leader sends a TimeoutNow request to the target server."
     */
    void startTransfer(String target, long commitIndex) {
        transferee = target;
        transferElapsed = 0;
        timeoutNowSent = false;
        if (!maybeSendTimeoutNow(target)) {
            catchUp(target, commitIndex);
        }
    }

    private boolean maybeSendTimeoutNow(String peer) {
        if (!peer.equals(transferee) || timeoutNowSent || followers.get(peer).matchIndex != log.lastIndex()) {
            return false;
        }
        outbox.send(new Message.TimeoutNow(term, config.id(), peer));
        timeoutNowSent = true;
        return true;
    }

    /**
     * One tick of an ongoing transfer. §3.10: "If the transfer does not complete after about one
     * election timeout, the prior leader aborts the transfer and resumes accepting client requests."
     */
    void tickTransfer() {
        if (transferee != null && ++transferElapsed >= config.electionTimeoutMaxTicks()) {
            transferee = null;
        }
    }

    /** The follower leadership is being handed to, or null. */
    String transferee() {
        return transferee;
    }

    /** True if {@code peer} is another member of the latest configuration (voter or learner). */
    boolean isFollower(String peer) {
        return followers.containsKey(peer);
    }

    void registerRead(long requestId) {
        reads.register(requestId, nextRound);
        readHeartbeatDue = true;
    }

    /** A follower asks for a read index (§6.4, "Followers can also serve reads"): confirm as for our own. */
    void registerForwardedRead(String follower, long incarnation, long requestId) {
        reads.registerForwarded(follower, incarnation, requestId, nextRound);
        readHeartbeatDue = true;
    }

    void releaseReads(long commitIndex) {
        reads.releaseConfirmed(tracker::confirmedSince, log.termAt(commitIndex) == term, commitIndex,
                new ReadIndexTracker.Confirmations() {
                    @Override
                    public void own(long requestId, long readIndex) {
                        outbox.readStates().add(new ReadState(requestId, readIndex));
                    }

                    @Override
                    public void forwarded(String follower, long incarnation, long requestId, long readIndex) {
                        outbox.send(new Message.ReadIndexReply(term, config.id(), follower, incarnation, requestId,
                                readIndex));
                    }
                });
    }

    void dropReads() {
        reads.dropAll(outbox.droppedReads());
    }

}
