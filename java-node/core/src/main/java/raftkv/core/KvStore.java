package raftkv.core;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import raftkv.core.SessionTable.Latest;
import raftkv.core.SessionTable.SessionRecord;

/**
 * The replicated state machine: a map Id => name, plus the client sessions table of dissertation
 * §6.3. Applying the same committed entries in the same order gives the same map and the same
 * results on every node: nothing here depends on time, randomness or iteration order of a hash.
 *
 * <p>The map is bounded by a {@link StateQuota}: a put or compare-and-set that would grow it beyond
 * is refused ({@link Result.QuotaExceeded}), decided from the entries before it alone.
 *
 * <p>Not thread-safe: like the Raft core, it belongs to one thread. The one exception is a
 * {@link Frozen} view, which {@link #freeze()} hands out in O(sessions) for a snapshot and another
 * thread may read while this one goes on applying entries ({@link LayeredMap} says why that is safe).
 */
public final class KvStore {

    private final LayeredMap names = new LayeredMap();
    private final SessionLimits limits;
    private final StateQuota quota;
    private long stateBytes; // the sum of StateQuota.entryBytes over the map
    private SessionTable sessions; // §6.3
    private long lastApplied;

    public KvStore() {
        this(SessionLimits.DEFAULT);
    }

    /** A state machine without a quota. */
    public KvStore(SessionLimits limits) {
        this(limits, StateQuota.UNLIMITED);
    }

    /**
     * @param limits how many sessions are kept, and when one may be expired to make room (§6.3)
     * @param quota how many state bytes the map may hold
     */
    public KvStore(SessionLimits limits, StateQuota quota) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.quota = Objects.requireNonNull(quota, "quota");
        this.sessions = new SessionTable(limits);
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
        if (session == null || entry.command() instanceof Command.OpenSession) {
            return execute(entry.command());
        }
        SessionRecord record = sessions.get(session.clientId());
        if (record == null) {
            // §6.3: a command of an expired (or never issued) session is refused, never executed: an
            // earlier copy may have executed before the session was forgotten.
            return new Result.SessionExpired(session.clientId());
        }
        switch (record.latest()) {
            case Latest.Done done when session.sequence() == done.sequence() -> {
                // §6.3: "If it receives a command whose serial number has already been executed, it
                // responds immediately without re-executing the request."
                sessions.touch(session.clientId(), lastApplied, done);
                return done.result();
            }
            case Latest.Done done when session.sequence() < done.sequence() -> {
                sessions.touch(session.clientId(), lastApplied, done);
                return new Result.StaleSession(done.sequence());
            }
            default -> {
                Result result = execute(entry.command());
                sessions.touch(session.clientId(), lastApplied, new Latest.Done(session.sequence(), result));
                return result;
            }
        }
    }

    /**
     * What the replicated state says about {@code session}'s command, as of {@link #lastApplied()}.
     * Pure: it changes nothing (not even the LRU order), so a driver may ask at any time.
     */
    public CommandStatus lookup(Session session) {
        Objects.requireNonNull(session, "session");
        return sessions.lookup(session);
    }

    private Result execute(Command command) {
        return switch (command) {
            case Command.Noop noop -> new Result.Ok(null);
            case Command.Configuration configuration -> new Result.Ok(null); // the Raft layer's business (§4.1)
            case Command.OpenSession open -> sessions.register(lastApplied);
            case Command.Put put -> {
                long growth = growth(put.id(), names.get(put.id()), put.name());
                if (exceedsQuota(growth)) {
                    yield new Result.QuotaExceeded(stateBytes, quota.maxBytes());
                }
                names.put(put.id(), put.name());
                stateBytes += growth;
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
                long growth = growth(cas.id(), current, cas.name());
                if (exceedsQuota(growth)) {
                    yield new Result.QuotaExceeded(stateBytes, quota.maxBytes());
                }
                names.put(cas.id(), cas.name());
                stateBytes += growth;
                yield new Result.Ok(cas.name());
            }
            case Command.Delete delete -> {
                String removed = names.remove(delete.id());
                if (removed == null) {
                    yield new Result.NotFound();
                }
                stateBytes -= StateQuota.entryBytes(delete.id(), removed);
                yield new Result.Ok(removed);
            }
        };
    }

    /** What writing {@code id => name} over {@code previous} (null: none) adds to the state bytes. */
    private static long growth(String id, String previous, String name) {
        return StateQuota.entryBytes(id, name) - (previous == null ? 0 : StateQuota.entryBytes(id, previous));
    }

    /**
     * A write that does not grow the state always applies, even above the quota (after a restart
     * with a smaller one): deletes, and puts of shorter names, are how the state gets back under it.
     */
    private boolean exceedsQuota(long growth) {
        return growth > 0 && growth > quota.maxBytes() - stateBytes;
    }

    /** Reads one id from local state. Linearizable only when served through ReadIndex. */
    public Result get(String id) {
        Objects.requireNonNull(id, "id");
        String name = names.get(id);
        return name == null ? new Result.NotFound() : new Result.Ok(name);
    }

    /** A sorted copy of the whole map (not a Raft snapshot: that is {@link #snapshotBytes()}). */
    public SortedMap<String, String> copyOfMap() {
        TreeMap<String, String> copy = new TreeMap<>();
        names.entriesAfter(null).forEachRemaining(e -> copy.put(e.getKey(), e.getValue()));
        return Collections.unmodifiableSortedMap(copy);
    }

    /**
     * Up to {@code limit} entries of the map in id order, and where the next page starts.
     *
     * @param next the id to ask for the page after this one (its last id), or null when this page
     *     reaches the end of the map
     */
    public record Page(List<Map.Entry<String, String>> entries, String next) {}

    /**
     * The page of at most {@code limit} entries whose ids come after {@code after} ({@code ""} for
     * the first page: every id comes after it). Copies only the page's references, into a list, so
     * a read of a large map costs this thread O(log n + limit), not a copy of the whole map.
     */
    public Page page(String after, int limit) {
        Objects.requireNonNull(after, "after");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, got " + limit);
        }
        List<Map.Entry<String, String>> entries = new ArrayList<>(Math.min(limit, names.size()));
        // The overlay's writes over the base's while a snapshot's frozen view is out.
        var rest = names.entriesAfter(after);
        while (entries.size() < limit && rest.hasNext()) {
            var entry = rest.next();
            entries.add(Map.entry(entry.getKey(), entry.getValue()));
        }
        return new Page(List.copyOf(entries), rest.hasNext() ? entries.getLast().getKey() : null);
    }

    public int size() {
        return names.size();
    }

    /** The map's estimated heap cost, in {@link StateQuota#entryBytes} units: what the quota bounds. */
    public long stateBytes() {
        return stateBytes;
    }

    public StateQuota quota() {
        return quota;
    }

    // ---------------------------------------------------------------- snapshots (dissertation §5.1, §5.2)

    /**
     * The state machine as of one applied index, for a snapshot that another thread serializes while
     * this store goes on applying entries (dissertation §5.2: "copy-on-write techniques"). It holds
     * the frozen map (nothing changes it until the owner {@linkplain #thaw() thaws} the store) and a
     * copy of the session table, so reading it from any thread is safe once the owner handed it over
     * through something that orders memory (an executor, a queue).
     */
    public static final class Frozen {
        private final long index;
        private final SortedMap<String, String> names;
        private final List<Map.Entry<String, SessionRecord>> sessions;

        private Frozen(long index, SortedMap<String, String> names, List<Map.Entry<String, SessionRecord>> sessions) {
            this.index = index;
            this.names = names;
            this.sessions = sessions;
        }

        /** The last applied index the view holds: the snapshot's last included index. */
        public long index() {
            return index;
        }

        /** Writes the deterministic encoding ({@link KvStore#snapshotBytes()}'s) to {@code out}, streaming. */
        public void writeTo(OutputStream out) throws IOException {
            DataOutputStream data = new DataOutputStream(out);
            encode(data, index, names.size(), names.entrySet().iterator(), sessions);
            data.flush();
        }

        /** The encoding as one byte array: for states small enough to hold twice (tests, the simulator). */
        public byte[] toBytes() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                writeTo(bytes);
            } catch (IOException e) {
                throw StateMachineBytes.cannotFail(e);
            }
            return bytes.toByteArray();
        }
    }

    /**
     * Hands out the state as of {@link #lastApplied()} for a snapshot, in O(sessions): the map is
     * frozen, not copied; entries applied from now on are kept aside until {@link #thaw()}.
     *
     * @throws IllegalStateException if a view is out already (one snapshot is written at a time)
     */
    public Frozen freeze() {
        return new Frozen(lastApplied, names.freeze(), sessions.inOrder());
    }

    /** BUG snapshot-drops-sessions: the frozen map without the session table. Only {@link Bug} uses it. */
    Frozen freezeWithoutSessions() {
        return new Frozen(lastApplied, names.freeze(), List.of());
    }

    /**
     * The snapshot's writer is done with the {@link Frozen} view: the entries applied since it was
     * taken join the map, in O(entries changed since). Nothing happens if no view is out (a
     * {@link #restore} replaced the state meanwhile).
     */
    public void thaw() {
        names.thaw();
    }

    /**
     * The whole state machine as bytes: the map, and the client-session table of §6.3 (without it a
     * node restored from a snapshot would execute retried commands a second time). Deterministic:
     * the map in key order, the sessions in their LRU order, so equal states give equal bytes, and a
     * {@link Frozen} view of the same index writes the same bytes.
     *
     * <pre>  "KVS1" lastApplied:long  n:int (key value)*n  m:int (clientId lastUsedAt:long hasLatest:bool [sequence:long result])*m</pre>
     */
    public byte[] snapshotBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            DataOutputStream out = new DataOutputStream(bytes);
            encode(out, lastApplied, names.size(), names.entriesAfter(null), sessions.inOrder());
            out.flush();
        } catch (IOException e) {
            throw StateMachineBytes.cannotFail(e);
        }
        return bytes.toByteArray();
    }

    private static void encode(DataOutputStream out, long lastApplied, int nameCount,
            Iterator<Map.Entry<String, String>> names, List<Map.Entry<String, SessionRecord>> sessions)
            throws IOException {
        out.writeInt(StateMachineBytes.MAGIC);
        out.writeLong(lastApplied);
        out.writeInt(nameCount);
        while (names.hasNext()) {
            Map.Entry<String, String> e = names.next();
            StateMachineBytes.writeString(out, e.getKey());
            StateMachineBytes.writeString(out, e.getValue());
        }
        SessionTable.write(out, sessions);
    }

    /**
     * Replaces the whole state with the snapshot's ("Reset state machine using snapshot contents",
     * dissertation Figure 5.3): decodes it here, then installs it. Nothing changes if the bytes are
     * malformed. A {@link Frozen} view that is out keeps the state it froze.
     *
     * @throws IllegalArgumentException if the data is not a state machine snapshot of its index
     */
    public void restore(Snapshot snapshot) {
        restore(RestoredState.decode(snapshot, limits));
    }

    /**
     * Installs a state decoded beforehand (perhaps on another thread, {@link SnapshotRestorer}), in
     * O(1): the map, its size in state bytes, the session table and the applied index all become the
     * snapshot's. A {@link Frozen} view that is out keeps the state it froze.
     */
    public void restore(RestoredState state) {
        names.replace(state.names);
        stateBytes = state.stateBytes;
        sessions = state.sessions;
        lastApplied = state.index;
    }

    /** The session limits this store was made with: what a snapshot decoded for it must use. */
    public SessionLimits limits() {
        return limits;
    }

    /** Number of client sessions remembered. */
    public int sessionCount() {
        return sessions.size();
    }
}
