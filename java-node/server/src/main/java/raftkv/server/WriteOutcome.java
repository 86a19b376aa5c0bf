package raftkv.server;

import raftkv.core.Result;

/** What became of a proposed command, as the event loop reports it to the HTTP handler. */
public sealed interface WriteOutcome {

    /** The command's entry committed and was applied; {@code result} is what it did to the map. */
    record Applied(Result result) implements WriteOutcome {}

    /** This node is not the leader; nothing was appended. {@code leaderHint} may be null. */
    record NotLeader(String leaderHint) implements WriteOutcome {}

    /**
     * Another leader's entry committed at our entry's index: this copy will never take effect. Only
     * for a write without a session, which is its own operation: the operation did not happen.
     */
    record Superseded() implements WriteOutcome {}

    /**
     * Our copy of a session's write was superseded, and the replicated state does not show that
     * another copy of the same operation executed: one may still be in the log, or may have
     * executed before the session moved on or expired. The operation's outcome is unknown.
     */
    record OutcomeUnknown() implements WriteOutcome {}

    /**
     * This node, a follower, forwarded the write to the leader and will not learn where it was
     * appended (no answer in time, or the leader changed first): it may have taken effect.
     */
    record ForwardUnanswered() implements WriteOutcome {}

    /** The event loop's queue was full; nothing was appended. */
    record Overloaded() implements WriteOutcome {}
}
