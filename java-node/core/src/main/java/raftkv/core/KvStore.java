package raftkv.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The replicated state machine: a map Id => name, plus the client sessions table of dissertation
 * §6.3. Applying the same committed entries in the same order gives the same map and the same
 * results on every node: nothing here depends on time, randomness or iteration order of a hash.
 *
 * <p>Not thread-safe: like the Raft core, it belongs to one thread.
 */
public final class KvStore {

    /** Sessions kept; the least recently used is forgotten first (deterministically, by log order). */
    public static final int DEFAULT_MAX_SESSIONS = 10_000;

    private record SessionRecord(long sequence, Result result) {}

    private final TreeMap<String, String> names = new TreeMap<>();
    private final LinkedHashMap<String, SessionRecord> sessions;
    private long lastApplied;

    public KvStore() {
        this(DEFAULT_MAX_SESSIONS);
    }

    public KvStore(int maxSessions) {
        // Access order + removeEldestEntry = an LRU table whose evictions depend only on the log.
        this.sessions = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, SessionRecord> eldest) {
                return size() > maxSessions;
            }
        };
    }

    /** Index of the last entry applied ("lastApplied" of Figure 2). */
    public long lastApplied() {
        return lastApplied;
    }

    /**
     * Applies the next committed entry. "If commitIndex > lastApplied: increment lastApplied, apply
     * log[lastApplied] to state machine (§5.3)" — entries must arrive in index order, each once.
     */
    public Result apply(LogEntry entry) {
        if (entry.index() != lastApplied + 1) {
            throw new IllegalStateException(
                    "entries must be applied in order: expected index " + (lastApplied + 1) + ", got " + entry.index());
        }
        lastApplied = entry.index();
        Session session = entry.session();
        if (session == null) {
            return execute(entry.command());
        }
        // A command seen before returns the recorded result instead of applying twice (§6.3).
        SessionRecord previous = sessions.get(session.clientId());
        if (previous != null && session.sequence() == previous.sequence()) {
            return previous.result();
        }
        if (previous != null && session.sequence() < previous.sequence()) {
            return new Result.StaleSession(previous.sequence());
        }
        Result result = execute(entry.command());
        sessions.put(session.clientId(), new SessionRecord(session.sequence(), result));
        return result;
    }

    private Result execute(Command command) {
        return switch (command) {
            case Command.Noop noop -> new Result.Ok(null);
            case Command.OpenSession open -> new Result.Ok(null); // TODO(session work in progress)
            case Command.Put put -> {
                names.put(put.id(), put.name());
                yield new Result.Ok(put.name());
            }
            case Command.Cas cas -> {
                String current = names.get(cas.id());
                if (current == null) {
                    yield new Result.NotFound();
                }
                if (!current.equals(cas.expected())) {
                    yield new Result.Mismatch(current);
                }
                names.put(cas.id(), cas.name());
                yield new Result.Ok(cas.name());
            }
            case Command.Delete delete -> {
                String removed = names.remove(delete.id());
                yield removed == null ? new Result.NotFound() : new Result.Ok(removed);
            }
        };
    }

    /** Reads one id from local state. Linearizable only when served through ReadIndex. */
    public Result get(String id) {
        Objects.requireNonNull(id, "id");
        String name = names.get(id);
        return name == null ? new Result.NotFound() : new Result.Ok(name);
    }

    /** A sorted copy of the whole map. */
    public SortedMap<String, String> snapshot() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(names));
    }

    public int size() {
        return names.size();
    }

    /** Number of client sessions remembered. */
    public int sessionCount() {
        return sessions.size();
    }
}
