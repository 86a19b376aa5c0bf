package raftkv.server;

import java.util.Optional;
import raftkv.core.CommandStatus;
import raftkv.core.KvStore;
import raftkv.core.Session;

/**
 * What a client is told when its own copy of a write does not take effect, or its fate is unknown here:
 * pure functions of the session table.
 *
 * <p>A proposal appended at (index, term) took effect if and only if the entry committed at that
 * index has that term (Figure 2, Log Matching; the {@link raftkv.core.Driver} checks this). If it has
 * another term, THIS copy of the command will never take effect; whether the OPERATION did depends on
 * the session (dissertation §6.3):
 *
 * <ul>
 *   <li>without a session, every request is its own operation: it definitely did not happen (only
 *       registrations, {@code POST /sessions}, go without one: every other write the server proposes
 *       carries the client's session or one the node lent it, {@code ServerSessions});
 *   <li>with a session, the client may have sent other copies (retries) of the same operation, and
 *       one of them may have executed or may still commit. The state machine's session table says
 *       which: if it recorded this (clientId, sequence) as executed, the operation took effect with
 *       the recorded result — answer exactly as if our copy had; otherwise the outcome is unknown.
 * </ul>
 */
public final class Settlement {

    private Settlement() {}

    /**
     * Our copy will never take effect: another entry committed at its index (Log Matching). Without a
     * session the operation definitely did not happen; with one, another copy may have.
     *
     * @param session the proposal's session, or null if it was sent without one
     * @param kv the state machine, with the entry that replaced ours applied
     */
    public static WriteOutcome superseded(Session session, KvStore kv) {
        if (session == null) {
            return new WriteOutcome.Superseded();
        }
        return recorded(session, kv).orElseGet(WriteOutcome.OutcomeUnknown::new);
    }

    /**
     * This node cannot tell whether our copy took effect: a snapshot replaced its index before it was
     * applied here (so it is not known which entry committed there), or it was forwarded and the
     * leader never said where it was appended. With a session, the session table may still show that
     * the operation executed, with which result; otherwise the answer is {@code unknown}.
     *
     * @param session the proposal's session, or null if it was sent without one
     * @param kv the state machine as it is now (restored from the snapshot, or with what was applied)
     * @param unknown what the client is told when the table does not show it
     */
    public static WriteOutcome unknownUnlessRecorded(Session session, KvStore kv, WriteOutcome unknown) {
        if (session == null) {
            return unknown;
        }
        return recorded(session, kv).orElse(unknown);
    }

    /** The result the session table recorded for this (clientId, sequence), if a copy of it executed. */
    public static Optional<WriteOutcome> recorded(Session session, KvStore kv) {
        return switch (kv.lookup(session)) {
            case CommandStatus.Executed executed -> Optional.of(new WriteOutcome.Applied(executed.result()));
            case CommandStatus.NotExecuted notExecuted -> Optional.empty();
            case CommandStatus.MovedOn movedOn -> Optional.empty();
            case CommandStatus.Expired expired -> Optional.empty();
        };
    }
}
