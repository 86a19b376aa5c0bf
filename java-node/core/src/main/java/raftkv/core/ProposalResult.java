package raftkv.core;

import java.util.function.Consumer;

/** What {@link RaftNode#propose} did with a command. */
public sealed interface ProposalResult {

    /**
     * The leader appended the command at {@code index} in {@code term}. It takes effect if and only
     * if the entry committed at {@code index} carries {@code term}; any other entry there means it
     * was overwritten by another leader and will never take effect.
     */
    record Appended(long index, long term) implements ProposalResult {}

    /** This node is not the leader; nothing was appended. {@code leaderHint} may be {@code null}. */
    record NotLeader(String leaderHint) implements ProposalResult {}

    /**
     * This node is the leader but is handing leadership to {@code transferee} (dissertation §3.10:
     * "the prior leader stops accepting new client requests"); nothing was appended. Retry shortly,
     * at the new leader.
     */
    record TransferringLeadership(String transferee) implements ProposalResult {}

    /**
     * This node is a follower and sent the command on to {@code leader} as forward
     * {@code proposalId} (etcd-io/raft's MsgProp forwarding). The driver learns where it was appended
     * from a {@link Ready#forwardAnswers()}, or that no answer will come from
     * {@link Ready#forwardsUnanswered()}.
     */
    record Forwarded(long proposalId, String leader) implements ProposalResult {}

    /**
     * The one place a caller of {@link Driver#propose} learns whether to answer now: if nothing was
     * appended and nothing sent on, calls {@code answerNotLeader} with the node the client may ask
     * instead (may be {@code null}); otherwise the driver answers later, through its
     * {@link Driver.Answers}.
     */
    default void ifNotTaken(Consumer<String> answerNotLeader) {
        switch (this) {
            case NotLeader notLeader -> answerNotLeader.accept(notLeader.leaderHint());
            // Nothing appended: the request goes to the transferee, and waits there until it leads.
            case TransferringLeadership transfer -> answerNotLeader.accept(transfer.transferee());
            // Answered once its index commits (or is overwritten, or compacted away).
            case Appended appended -> {}
            // Sent on to the leader over the peer stream; answered here once applied here.
            case Forwarded forwarded -> {}
        }
    }
}
