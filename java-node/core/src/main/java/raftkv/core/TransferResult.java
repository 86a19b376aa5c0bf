package raftkv.core;

/** What {@link RaftNode#transferLeadership} did (dissertation §3.10). */
public sealed interface TransferResult {

    /** The transfer to {@code transferee} began: it ends with a new leader or is abandoned after an election timeout. */
    record Started(String transferee) implements TransferResult {}

    /** This node is not the leader; {@code leaderHint} may be {@code null}. */
    record NotLeader(String leaderHint) implements TransferResult {}

    /** {@code target} is not another member of the cluster. */
    record UnknownMember(String target) implements TransferResult {}

    /** The cluster has no other member to hand leadership to. */
    record NoOtherMember() implements TransferResult {}
}
