package raftkv.core;

/**
 * A command of the replicated state machine: the map Id => name.
 *
 * <p>Commands travel inside {@link LogEntry log entries}; a command takes effect on every node when
 * its entry is committed and applied, in log order. Reads are not commands: they are served by
 * ReadIndex (dissertation §6.4) and never enter the log.
 */
public sealed interface Command {

    /** The entry a new leader appends when it takes office (§8), so it can commit an entry of its term. */
    record Noop() implements Command {}

    /**
     * Registers a new client session (dissertation §6.3, "RegisterClient"): the session's client id
     * is the index of this entry, so every node issues the same id and an id it no longer knows can
     * only belong to a session that expired.
     */
    record OpenSession() implements Command {}

    /** Set {@code id} to {@code name}, whatever it held before. */
    record Put(String id, String name) implements Command {}

    /**
     * Set {@code id} to {@code name} only if it currently holds {@code expected}. Fails definitely if
     * the current value differs or is absent.
     */
    record Cas(String id, String expected, String name) implements Command {}

    /** Remove {@code id}. Fails definitely if absent. */
    record Delete(String id) implements Command {}

    /**
     * A new cluster configuration (dissertation §4.1): the whole of it, one server added, promoted or
     * removed since the one before. It takes effect on each node as soon as the node appends it,
     * committed or not; the state machine ignores it (applying it is a no-op).
     */
    record Configuration(ClusterConfig configuration) implements Command {
        public Configuration {
            java.util.Objects.requireNonNull(configuration, "configuration");
        }
    }
}
