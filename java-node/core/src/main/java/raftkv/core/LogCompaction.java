package raftkv.core;

/**
 * Log compaction (dissertation chapter 5): taking a snapshot of the state machine to replace the
 * log's committed prefix, and the follower's side of InstallSnapshot. The leader's side, sending
 * the snapshot in chunks to a follower that lags behind the compacted prefix, is in {@link Leader}
 * and {@link SnapshotTransfer}.
 */
final class LogCompaction {

    private final NodeState state;
    private final LogReplication replication;
    private final RaftConfig config;
    private final RaftLog log;
    private final Outbox outbox;
    private final SnapshotReceiver snapshotReceiver;

    LogCompaction(NodeState state, LogReplication replication, SnapshotSink sink) {
        this.snapshotReceiver = new SnapshotReceiver(sink);
        this.state = state;
        this.replication = replication;
        this.config = state.config;
        this.log = state.log;
        this.outbox = state.outbox;
    }

    boolean snapshotDue(long appliedIndex) {
        return appliedIndex - state.snapshotIndex() >= config.snapshotEntries();
    }

    /** Throws unless a snapshot may end at {@code appliedIndex}: committed, and past the last snapshot. */
    void requireCompactable(long appliedIndex) {
        // "each server takes snapshots independently, covering just the committed entries in its log"
        // (dissertation §5.1)
        if (appliedIndex <= state.snapshotIndex() || appliedIndex > state.commitIndex) {
            throw new IllegalArgumentException("cannot snapshot at " + appliedIndex + ": the last snapshot is at "
                    + state.snapshotIndex() + " and the commit index " + state.commitIndex);
        }
    }

    void compact(Snapshot snapshot) {
        long appliedIndex = snapshot.lastIncludedIndex();
        requireCompactable(appliedIndex);
        if (snapshot.lastIncludedTerm() != log.termAt(appliedIndex)) {
            throw new IllegalArgumentException(snapshot + " does not end with the log's entry " + appliedIndex
                    + " of term " + log.termAt(appliedIndex));
        }
        // The new snapshot is for transfers that start from now on: one under way keeps the snapshot it
        // pinned (SnapshotTransfer) until that transfer ends.
        state.snapshot = snapshot;
        // Keep a tail of entries behind the snapshot, so a slow follower can still catch up from the log.
        long firstKept = Math.max(log.firstIndex(), appliedIndex - config.snapshotTrailingEntries() + 1);
        log.compactBefore(firstKept);
        outbox.snapshotTaken(state.snapshot, firstKept);
    }

    /** InstallSnapshot receiver (dissertation Figure 5.3; extended Raft paper Figure 13). */
    void handleInstallSnapshot(Message.InstallSnapshot m) {
        // "1. Reply immediately if term < currentTerm"
        if (m.term() < state.currentTerm) {
            outbox.send(new Message.InstallSnapshotReply(state.currentTerm, config.id(), m.from(),
                    m.lastIncludedIndex(), 0, 0));
            return;
        }
        if (m.offset() < 0 || m.offset() + m.data().length > Integer.MAX_VALUE || m.lastIncludedIndex() < 1
                || m.lastIncludedTerm() < 1 || m.lastIncludedTerm() > m.term()) {
            return; // malformed: no leader sends this. Dropping it is safe.
        }
        // It comes from the leader of our term, like an AppendEntries (§5.2).
        if (state.role != Role.FOLLOWER || state.leaderId == null) {
            state.becomeFollower(state.currentTerm, m.from());
        }
        state.electionElapsed = 0;
        if (m.lastIncludedIndex() <= state.commitIndex) {
            // Everything it holds is committed here already (etcd-io/raft answers such a snapshot the
            // same way): say so at once, whichever chunk this is. It ends a transfer whose last reply was
            // lost, and makes a late duplicate of an installed snapshot's first chunk harmless.
            snapshotReceiver.discardThrough(state.commitIndex);
            reply(m, 0, state.commitIndex);
            return;
        }
        // Rules 2-5: assemble the chunks.
        switch (snapshotReceiver.accept(m)) {
            case SnapshotReceiver.Outcome.Accepted accepted -> reply(m, accepted.nextOffset(), 0);
            case SnapshotReceiver.Outcome.Ignored ignored -> reply(m, ignored.nextOffset(), 0);
            case SnapshotReceiver.Outcome.Outdated outdated -> { } // its sender has moved on
            case SnapshotReceiver.Outcome.Complete complete ->
                    reply(m, complete.snapshot().size(), install(complete.snapshot()));
        }
    }

    private void reply(Message.InstallSnapshot m, long nextOffset, long matchIndex) {
        outbox.send(new Message.InstallSnapshotReply(state.currentTerm, config.id(), m.from(), m.lastIncludedIndex(),
                nextOffset, matchIndex));
    }

    /** Rules 6-8 of the InstallSnapshot receiver, once the whole snapshot arrived. Returns the new match index. */
    private long install(Snapshot received) {
        long index = received.lastIncludedIndex(); // past the commit index: handleInstallSnapshot checked
        // "6. If existing log entry has same index and term as snapshot's last included entry, retain
        // log entries following it and reply" — those entries are committed: apply them from the log.
        if (log.termAt(index) == received.lastIncludedTerm()) {
            snapshotReceiver.discardComplete(received);
            state.commitIndex = index;
            return index;
        }
        // "7. Discard the entire log" — and "load snapshot's cluster configuration" (rule 8): the
        // log's configuration in force is the snapshot's until a later entry brings another (§4.1).
        log.resetAfter(received);
        // "8. Reset state machine using snapshot contents" — the driver does, when it handles the Ready.
        state.snapshot = received;
        state.commitIndex = index;
        outbox.snapshotInstalled(received);
        return index;
    }

    /** A follower's answer to the leader's InstallSnapshot ({@link RulesForServers#stepLeader}). */
    void handleInstallSnapshotReply(Message.InstallSnapshotReply m) {
        if (m.term() != state.currentTerm) {
            return; // a reply to an older term
        }
        state.leader.onSnapshotReply(m);
        replication.afterFollowerAnswered(m.from()); // the next chunk, or the entries after the snapshot
    }
}
