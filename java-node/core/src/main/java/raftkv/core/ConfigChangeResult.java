package raftkv.core;

/**
 * What {@link RaftNode#proposeConfigChange} did. Every answer is definite: {@link NotLeader} and
 * {@link Rejected} appended nothing; {@link Accepted} appended a configuration entry, which takes
 * effect at once on every node that holds it (§4.1) and is the cluster's configuration for good iff
 * the entry committed at {@code index} carries {@code term} (then it appears in
 * {@link Ready#committedEntries()} as a {@link Command.Configuration}).
 */
public sealed interface ConfigChangeResult {

    /** Appended at {@code index} in {@code term}, as a {@link Command.Configuration} entry. */
    record Accepted(long index, long term, ClusterConfig configuration) implements ConfigChangeResult {}

    /** This node is not the leader; nothing was appended. {@code leaderHint} may be null. */
    record NotLeader(String leaderHint) implements ConfigChangeResult {}

    /** The leader refused the change; nothing was appended. {@code detail} says why, for people. */
    record Rejected(Reason reason, String detail) implements ConfigChangeResult {}

    /** Why a change was refused. */
    enum Reason {
        /**
         * A configuration entry is in the log and not yet committed: "the leader must wait for the
         * previous configuration change to commit before starting a new one" (§4.1). Retry later.
         */
        CHANGE_IN_PROGRESS,
        /**
         * The leader has not yet committed an entry of its own term (its §8 no-op): the errata to §4.1
         * ("a leader may not append a new configuration entry until it has committed an entry from its
         * current term"). Retry in a moment.
         */
        NO_OP_NOT_COMMITTED,
        /** The leader is handing leadership over (§3.10); retry at the new leader. */
        TRANSFERRING_LEADERSHIP,
        /** Promote or remove a server that is not a member, or promote one that is not a learner. */
        UNKNOWN_MEMBER,
        /** Add a server that is a member already. */
        ALREADY_MEMBER,
        /** The change would leave no voter, so nothing could ever commit again. */
        WOULD_LEAVE_NO_QUORUM,
        /** Add a server to a configuration that holds {@link ClusterConfig#MAX_MEMBERS} already. */
        TOO_MANY_MEMBERS,
        /**
         * Promote a learner whose match index is more than one AppendEntries' worth of entries behind
         * the leader's last index (§4.2.1): as a voter it would hold up commits while it catches up.
         */
        NOT_CAUGHT_UP
    }
}
