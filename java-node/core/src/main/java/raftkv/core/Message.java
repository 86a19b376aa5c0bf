package raftkv.core;

import java.util.List;

/**
 * The RPCs of Figure 2 and their replies, plus PreVote (dissertation §9.6). Every message carries
 * the sender's term: terms, not clocks, order events in Raft (§5.1).
 *
 * <p>Requests and replies are separate one-way messages (as in etcd-io/raft), so the core never
 * waits for anything: a transport delivers each message to {@link RaftNode#step} of {@link #to()}.
 */
public sealed interface Message {
    long term();

    String from();

    String to();

    /** Invoked by candidates to gather votes (§5.2). */
    record RequestVote(long term, String from, String to, long lastLogIndex, long lastLogTerm)
            implements Message {}

    record RequestVoteReply(long term, String from, String to, boolean voteGranted) implements Message {}

    /**
     * "Would you vote for me?" (dissertation §9.6). {@code term} is the term the sender would
     * campaign in (its current term + 1); neither side changes its term for a PreVote.
     */
    record PreVote(long term, String from, String to, long lastLogIndex, long lastLogTerm)
            implements Message {}

    record PreVoteReply(long term, String from, String to, boolean voteGranted) implements Message {}

    /**
     * Invoked by the leader to replicate log entries (§5.3); also used as heartbeat (§5.2).
     *
     * @param probe a number that increases with every AppendEntries the leader sends in its term and
     *     is echoed in the reply; a reply with probe p proves the follower still accepted this
     *     leader after every read registered at or before p (ReadIndex, dissertation §6.4)
     */
    record AppendEntries(
            long term,
            String from,
            String to,
            long prevLogIndex,
            long prevLogTerm,
            List<LogEntry> entries,
            long leaderCommit,
            long probe)
            implements Message {
        public AppendEntries {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Reply to AppendEntries.
     *
     * @param matchIndex on success, the index of the last entry the follower now holds that matches
     *     the leader's log (prevLogIndex + entries.size())
     * @param conflictTerm on failure, the term of the follower's entry at prevLogIndex, or 0 if the
     *     follower's log is too short to have one (fast backtracking)
     * @param conflictIndex on failure, the first index the follower holds for conflictTerm, or its
     *     log length + 1 when conflictTerm is 0
     */
    record AppendEntriesReply(
            long term,
            String from,
            String to,
            boolean success,
            long matchIndex,
            long conflictTerm,
            long conflictIndex,
            long probe)
            implements Message {}
}
