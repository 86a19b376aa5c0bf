package raftkv.server;

import raftkv.core.CommandStatus;
import raftkv.core.KvStore;
import raftkv.core.Session;

/**
 * What a client is told when another entry commits at the index of its proposal — one pure function.
 *
 * <p>A proposal appended at (index, term) took effect if and only if the entry committed at that
 * index has that term (Figure 2, Log Matching; the {@link raftkv.core.Driver} checks this). If it has
 * another term, THIS copy of the command will never take effect; whether the OPERATION did depends on
 * the session (dissertation §6.3):
 *
 * <ul>
 *   <li>without a session, every request is its own operation: it definitely did not happen;
 *   <li>with a session, the client may have sent other copies (retries) of the same operation, and
 *       one of them may have executed or may still commit. The state machine's session table says
 *       which: if it recorded this (clientId, sequence) as executed, the operation took effect with
 *       the recorded result — answer exactly as if our copy had; otherwise the outcome is unknown.
 * </ul>
 */
public final class Settlement {

    private Settlement() {}

    /**
     * @param session the superseded proposal's session, or null if it was sent without one
     * @param kv the state machine, with the entry that superseded it applied
     */
    public static WriteOutcome superseded(Session session, KvStore kv) {
        if (session == null) {
            return new WriteOutcome.Superseded();
        }
        return switch (kv.lookup(session)) {
            case CommandStatus.Executed executed -> new WriteOutcome.Applied(executed.result());
            case CommandStatus.NotExecuted notExecuted -> new WriteOutcome.OutcomeUnknown();
            case CommandStatus.MovedOn movedOn -> new WriteOutcome.OutcomeUnknown();
            case CommandStatus.Expired expired -> new WriteOutcome.OutcomeUnknown();
        };
    }
}
