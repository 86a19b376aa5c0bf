package raftkv.core;

/**
 * What the replicated state says about one (clientId, sequence) of a session, as of the last entry
 * applied: {@link KvStore#lookup(Session)}. A driver uses it to answer a client whose own copy of a
 * command was overwritten while another copy may have committed (dissertation §6.3).
 */
public sealed interface CommandStatus {

    /** A copy of the command with this sequence executed, with this result (the recorded one). */
    record Executed(Result result) implements CommandStatus {}

    /** No copy has executed yet: the session's last sequence is lower (or it has none yet). */
    record NotExecuted() implements CommandStatus {}

    /**
     * The session moved on: its last sequence is {@code lastSequence}, higher than this one. Whether
     * this command executed earlier is no longer recorded.
     */
    record MovedOn(long lastSequence) implements CommandStatus {}

    /** The client id is not in the sessions table (expired, or never issued): nothing is known. */
    record Expired() implements CommandStatus {}
}
