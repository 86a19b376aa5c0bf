package raftkv.core;

import java.util.List;

/**
 * Log replication (§5.3): the leader appends client commands and commits what a majority holds
 * (§5.3, §5.4); a follower runs Figure 2's AppendEntries receiver rules. What the leader sends to
 * each follower, and when, is {@link Leader}'s part.
 */
final class LogReplication {

    private final NodeState state;
    private final RaftConfig config;
    private final RaftLog log;
    private final Outbox outbox;

    LogReplication(NodeState state) {
        this.state = state;
        this.config = state.config;
        this.log = state.log;
        this.outbox = state.outbox;
    }

    LogEntry appendAsLeader(Command command, Session session) {
        LogEntry entry = new LogEntry(state.currentTerm, log.lastIndex() + 1, command, session);
        log.append(entry);
        if (command instanceof Command.Configuration) {
            state.leader.configurationAppended(); // in force at once, committed or not (§4.1)
        }
        if (config.has(Bug.ACK_BEFORE_COMMIT)) {
            maybeAdvanceCommit();
        }
        state.leader.entriesAppended();
        return entry;
    }

    void handleAppendEntries(Message.AppendEntries m) {
        // AppendEntries receiver: "1. Reply false if term < currentTerm (§5.1)"
        if (m.term() < state.currentTerm) {
            outbox.send(new Message.AppendEntriesReply(state.currentTerm, config.id(), m.from(), false, 0, 0, 0,
                    m.round()));
            return;
        }
        if (!isWellFormed(m)) {
            return; // malformed: entries must follow prevLogIndex one by one. Dropping it is safe.
        }
        // Candidates: "If AppendEntries RPC received from new leader: convert to follower" (§5.2)
        if (state.role != Role.FOLLOWER || state.leaderId == null) {
            state.becomeFollower(state.currentTerm, m.from());
        }
        state.electionElapsed = 0;
        if (m.prevLogIndex() < log.prevIndex()) {
            // The message starts inside our snapshot: those entries are committed, hence the same as
            // the leader's (Leader Completeness, §5.4), so only the part after the snapshot needs checking.
            if (m.prevLogIndex() + m.entries().size() <= log.prevIndex()) {
                outbox.send(new Message.AppendEntriesReply(state.currentTerm, config.id(), m.from(), true,
                        log.prevIndex(), 0, 0, m.round()));
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
            outbox.send(new Message.AppendEntriesReply(state.currentTerm, config.id(), m.from(), false, 0,
                    conflictTerm, conflictIndex, m.round()));
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
        if (m.leaderCommit() > state.commitIndex) {
            state.commitIndex = Math.max(state.commitIndex, Math.min(m.leaderCommit(), lastNewIndex));
        }
        outbox.send(new Message.AppendEntriesReply(state.currentTerm, config.id(), m.from(), true, lastNewIndex,
                0, 0, m.round()));
    }

    /** The same AppendEntries without the entries at or before the log's compaction boundary. */
    private Message.AppendEntries afterCompactedPrefix(Message.AppendEntries m) {
        long boundary = log.prevIndex();
        List<LogEntry> rest = m.entries().stream().filter(e -> e.index() > boundary).toList();
        return new Message.AppendEntries(m.term(), m.from(), m.to(), boundary, log.termAt(boundary), rest,
                m.leaderCommit(), m.round());
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
        if (index <= state.commitIndex) {
            if (config.bugs().isEmpty()) {
                // Leader Completeness (§5.4) makes this impossible in a correct cluster.
                throw new IllegalStateException(
                        "refusing to truncate committed entry " + index + " (commit " + state.commitIndex + ")");
            }
            // Under a bug switch a "committed" entry can be overwritten: let the state machine diverge,
            // as a real buggy implementation would, so the checkers have something to find.
            state.commitIndex = index - 1;
        }
        log.truncateFrom(index);
        outbox.truncated(index);
        // persistedIndex may now exceed lastIndex; only a leader reads it, and every advance() resets it
        // before this node can become one.
    }

    /** A follower's answer to the leader's AppendEntries ({@link RulesForServers#stepLeader}). */
    void handleAppendEntriesReply(Message.AppendEntriesReply m) {
        if (m.term() != state.currentTerm) {
            return; // a reply to an older term
        }
        state.leader.onReply(m);
        afterFollowerAnswered(m.from()); // the next batch, or the retry after a rejection
    }

    /**
     * A follower's matchIndex may have moved: commit what a majority now holds (§5.3), release the
     * reads that waited for this round (§6.4), and send that follower what it still lacks.
     */
    void afterFollowerAnswered(String follower) {
        maybeAdvanceCommit();
        state.leader.releaseReads(state.commitIndex);
        state.leader.catchUp(follower, state.commitIndex);
    }

    /**
     * Leaders: "If there exists an N such that N > commitIndex, a majority of matchIndex[i] ≥ N, and
     * log[N].term == currentTerm: set commitIndex = N (§5.3, §5.4)".
     */
    void maybeAdvanceCommit() {
        long n = config.has(Bug.ACK_BEFORE_COMMIT)
                ? log.lastIndex() // BUG ack-before-commit: the leader's own copy is "enough"
                : state.leader.tracker().committedIndex(state.persistedIndex);
        if (n <= state.commitIndex) {
            return;
        }
        // §5.4.2: "Raft never commits log entries from previous terms by counting replicas. Only log
        // entries from the leader's current term are committed by counting replicas."
        if (log.termAt(n) != state.currentTerm && !config.has(Bug.COMMIT_PREVIOUS_TERM)) {
            return;
        }
        state.commitIndex = n;
        state.leader.releaseReads(state.commitIndex);
        // Followers learn the new commit index with the next AppendEntries (heartbeat or new entries).
        handOverIfRemoved();
    }

    /**
     * §4.2.2: once a leader has committed a configuration without itself, it steps down — first
     * handing leadership to the most up-to-date voter (§3.10), so the cluster need not wait for an
     * election timeout. Until then it managed a cluster it is not part of: it replicated entries but
     * did not count itself in majorities. The leader's tick ({@link RulesForServers#tick}) steps it
     * down if the transfer fails.
     */
    void handOverIfRemoved() {
        if (state.role != Role.LEADER || state.isVoter() || state.commitIndex < log.latestConfigurationIndex()
                || state.leader.transferee() != null) {
            return;
        }
        String to = state.leader.tracker().mostUpToDateVoter();
        if (to == null) {
            state.becomeFollower(state.currentTerm, null);
        } else {
            state.leader.startTransfer(to, state.commitIndex);
        }
    }

    /**
     * §4.2.2, on the leader's tick ({@link RulesForServers#tick}): removed, and the hand-over did not
     * happen within an election timeout (the transfer was abandoned): step down. Returns true if it did.
     */
    boolean stepDownIfHandOverFailed() {
        if (!state.isVoter() && state.commitIndex >= log.latestConfigurationIndex()
                && state.leader.transferee() == null) {
            state.becomeFollower(state.currentTerm, null);
            return true;
        }
        return false;
    }
}
