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

    /**
     * Invoked by candidates to gather votes (§5.2).
     *
     * @param leadershipTransfer the candidate campaigns because the leader asked it to (TimeoutNow,
     *     dissertation §3.10): voters grant it even within the minimum election timeout of hearing
     *     from that leader (the §4.2.3 exception), and the leader itself steps down for it
     */
    record RequestVote(long term, String from, String to, long lastLogIndex, long lastLogTerm,
            boolean leadershipTransfer) implements Message {

        /** An ordinary campaign's RequestVote. */
        public RequestVote(long term, String from, String to, long lastLogIndex, long lastLogTerm) {
            this(term, from, to, lastLogIndex, lastLogTerm, false);
        }
    }

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
     * @param round a number that increases with every AppendEntries the leader sends in its term and
     *     is echoed in the reply; a reply with round p proves the follower still accepted this
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
            long round)
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
            long round)
            implements Message {}

    /**
     * Invoked by the leader to send chunks of a snapshot to a follower (dissertation Figure 5.3,
     * extended Raft paper Figure 13): "Leaders always send chunks in order."
     *
     * @param offset byte offset where this chunk is positioned in the snapshot's data
     * @param data raw bytes of the snapshot chunk, starting at offset
     * @param done true if this is the last chunk
     * @param configuration the configuration in force at lastIncludedIndex ("last config as of
     *     lastIncludedIndex", Figure 5.3; the dissertation sends it with the first chunk, here every chunk
     *     carries it)
     */
    record InstallSnapshot(
            long term,
            String from,
            String to,
            long lastIncludedIndex,
            long lastIncludedTerm,
            ClusterConfig configuration,
            long offset,
            byte[] data,
            boolean done)
            implements Message {
        public InstallSnapshot {
            java.util.Objects.requireNonNull(configuration, "configuration");
            data = data.clone();
        }

        /** A chunk of a snapshot whose configuration is {@code voters}, known by id only (tests). */
        public InstallSnapshot(long term, String from, String to, long lastIncludedIndex, long lastIncludedTerm,
                List<String> voters, long offset, byte[] data, boolean done) {
            this(term, from, to, lastIncludedIndex, lastIncludedTerm, ClusterConfig.ofVoterIds(voters), offset, data,
                    done);
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof InstallSnapshot m && m.term == term && m.from.equals(from) && m.to.equals(to)
                    && m.lastIncludedIndex == lastIncludedIndex && m.lastIncludedTerm == lastIncludedTerm
                    && m.configuration.equals(configuration) && m.offset == offset && java.util.Arrays.equals(m.data, data)
                    && m.done == done;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(term, from, to, lastIncludedIndex, offset, done);
        }

        @Override
        public String toString() {
            return "InstallSnapshot[term=" + term + ", from=" + from + ", to=" + to + ", lastIncludedIndex="
                    + lastIncludedIndex + ", lastIncludedTerm=" + lastIncludedTerm + ", offset=" + offset + ", "
                    + data.length + " bytes, done=" + done + "]";
        }
    }

    /**
     * Reply to InstallSnapshot. The dissertation's reply carries only the term; this one also says how
     * far the follower got, so chunks can be lost, duplicated or reordered on the way.
     *
     * @param lastIncludedIndex the snapshot the reply is about
     * @param nextOffset the bytes of that snapshot the follower holds so far: the offset to send next
     *     (a chunk that is not that one is ignored, and the reply repeats it)
     * @param matchIndex once the last chunk arrived, or as soon as a chunk shows the follower has
     *     committed the snapshot's entries already, the index up to which the follower's log now
     *     matches the leader's (the snapshot's, or the follower's commit index if that was further);
     *     0 while chunks are still missing
     */
    record InstallSnapshotReply(
            long term, String from, String to, long lastIncludedIndex, long nextOffset, long matchIndex)
            implements Message {}

    /**
     * Leadership transfer (dissertation §3.10): "the prior leader sends a TimeoutNow request to the
     * target server. This request has the same effect as the target server's election timer firing:
     * the target server starts a new election".
     */
    record TimeoutNow(long term, String from, String to) implements Message {}

    /**
     * Follower to leader: a client's command, sent on to the leader it names (etcd-io/raft's MsgProp
     * forwarding). The leader appends it exactly as if the client had sent it there (§5.3, §3.10)
     * and answers with a {@link ForwardedProposalReply}; the follower then answers its client from
     * its own state machine once the entry is applied there.
     *
     * @param incarnation the follower's number for this boot of its process, drawn at random at start
     *     (a clock may step back across a restart; a random 64-bit number practically never repeats):
     *     the leader takes in the forwards of each incarnation separately, and the follower knows its
     *     own replies by it
     * @param proposalId the follower's number for this forward within its incarnation, growing,
     *     echoed in the reply
     */
    record ForwardedProposal(long term, String from, String to, long incarnation, long proposalId, Command command,
            Session session)
            implements Message {
        public ForwardedProposal {
            java.util.Objects.requireNonNull(command, "command");
        }
    }

    /**
     * Leader to follower: where the forwarded proposal ({@code incarnation}, {@code proposalId}) was
     * appended, or that it never will be.
     */
    record ForwardedProposalReply(long term, String from, String to, long incarnation, long proposalId,
            ForwardOutcome outcome)
            implements Message {
        public ForwardedProposalReply {
            java.util.Objects.requireNonNull(outcome, "outcome");
        }
    }

    /**
     * Follower to leader: "what is your commit index, once you have confirmed you still lead?"
     * (dissertation §6.4: "Followers can also serve reads ... the follower would issue a request to
     * the leader to learn the current read index"). {@code incarnation} as in {@link ForwardedProposal}:
     * a reply to an earlier boot's request must not serve a read of this one.
     */
    record ReadIndexRequest(long term, String from, String to, long incarnation, long requestId) implements Message {}

    /**
     * Leader to follower: after a heartbeat round confirmed its leadership, the leader's commit index
     * for read {@code requestId} (§6.4 steps 1-3). The follower serves the read once it has applied
     * up to {@code readIndex} (step 4).
     */
    record ReadIndexReply(long term, String from, String to, long incarnation, long requestId, long readIndex)
            implements Message {}
}
