package raftkv.core;

/**
 * The outcome of applying a command or serving a read on the map Id => name. Every outcome is
 * definite: it is what happened at the command's place in the log.
 */
public sealed interface Result {

    /**
     * The command took effect (or the read found a value). {@code value} is the name now stored for
     * put and compare-and-set, the name removed for delete, the name read for get, and {@code null}
     * for a no-op.
     */
    record Ok(String value) implements Result {}

    /** The id holds no name: a get, compare-and-set or delete of an absent id. Nothing changed. */
    record NotFound() implements Result {}

    /** A compare-and-set found {@code actual}, not the expected name. Nothing changed. */
    record Mismatch(String actual) implements Result {}

    /**
     * The session already moved past this sequence number: the client gave up on this command and
     * sent a newer one, so this late copy is refused and nothing changed (dissertation §6.3).
     */
    record StaleSession(long lastSequence) implements Result {}

    /**
     * An {@link Command.OpenSession} registered a new session: {@code clientId} is the index of its
     * entry, as a decimal string, the same on every node (dissertation §6.3, "RegisterClient").
     */
    record SessionOpened(String clientId) implements Result {}

    /**
     * The command's client id is not in the sessions table — the session expired, or was never
     * issued — so the command was refused without executing (dissertation §6.3: "if a client's
     * session has expired, the state machine ... returns an error"). An earlier copy of the same
     * command may have executed before the session expired: this result cannot tell.
     */
    record SessionExpired(String clientId) implements Result {}

    /**
     * An {@link Command.OpenSession} found the sessions table full of sessions used within the last
     * {@link SessionLimits#idleEntries()} entries, so it registered nothing and expired nothing
     * (dissertation §6.3 bounds the table; here a registration never evicts a session in use).
     * Definite: no session was opened by this entry.
     */
    record SessionTableFull() implements Result {}

    /**
     * A put or compare-and-set would have grown the map beyond its {@link StateQuota}: it was
     * refused, and nothing changed. Decided at the command's place in the log from the quota and the
     * state before it, so every node refuses the same commands. {@code stateBytes} is the state's
     * size then, in {@link StateQuota#entryBytes} units; deletes, which shrink it, still apply.
     */
    record QuotaExceeded(long stateBytes, long quotaBytes) implements Result {}
}
