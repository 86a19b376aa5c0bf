package raftkv.server;

import raftkv.core.Result;

/** What became of a proposed command, as the event loop reports it to the HTTP handler. */
public sealed interface WriteOutcome {

    /** The command's entry committed and was applied; {@code result} is what it did to the map. */
    record Applied(Result result) implements WriteOutcome {}

    /** This node is not the leader; nothing was appended. {@code leaderHint} may be null. */
    record NotLeader(String leaderHint) implements WriteOutcome {}

    /** Another leader's entry committed at our entry's index: ours will never take effect. */
    record Superseded() implements WriteOutcome {}

    /** The event loop's queue was full; nothing was appended. */
    record Overloaded() implements WriteOutcome {}
}
