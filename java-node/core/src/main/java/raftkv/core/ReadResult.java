package raftkv.core;

/** What {@link RaftNode#read} did with a read request. */
public sealed interface ReadResult {

    /** The leader registered the read; it will appear in a Ready as a ReadState or a dropped read. */
    record Registered() implements ReadResult {}

    /** This node is not the leader and cannot serve linearizable reads. {@code leaderHint} may be null. */
    record NotLeader(String leaderHint) implements ReadResult {}
}
