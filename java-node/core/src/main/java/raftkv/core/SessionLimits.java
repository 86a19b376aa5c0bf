package raftkv.core;

/**
 * How the client-session table of dissertation §6.3 is bounded: "an upper bound on the number of
 * sessions", and how long a session must have gone unused before a registration may expire it to
 * make room. Idleness is counted in log entries, not time, so every node decides the same way from
 * the log alone.
 *
 * <p>Part of the replicated state machine's definition, like its code: every node of a cluster must
 * use the same values. With different values, two nodes applying the same {@link Command.OpenSession}
 * could decide differently (one registers, one refuses; or they expire different sessions), and then
 * answer the same retried command differently — a State Machine Safety violation.
 *
 * @param maxSessions sessions kept at most (memory: each holds its last result, one name of up to
 *     1,024 characters)
 * @param idleEntries a registration that finds the table full may expire the least recently used
 *     session only if none of the last {@code idleEntries} entries before it used that session;
 *     otherwise the registration is refused ({@link Result.SessionTableFull}). 0 is plain LRU: the
 *     least recently used session always makes room
 */
public record SessionLimits(int maxSessions, long idleEntries) {

    /**
     * 10,000 sessions (at most ~23 MiB of heap, see docs/how-it-works.md) and 100,000 entries: at the
     * few thousand commits a second a node reaches on a small machine, a session is protected for
     * tens of seconds after its last use, several request timeouts (5 s) of a client retrying. A
     * registration flood then costs only new registrations, which are refused until a session has been
     * idle that long, never the sessions of clients at work.
     */
    public static final SessionLimits DEFAULT = new SessionLimits(10_000, 100_000);

    public SessionLimits {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be >= 1, got " + maxSessions);
        }
        if (idleEntries < 0) {
            throw new IllegalArgumentException("idleEntries must be >= 0, got " + idleEntries);
        }
    }
}
