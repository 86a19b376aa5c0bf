package raftkv.core;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The replicated state machine: a map Id => name, plus the client sessions table of dissertation
 * §6.3. Applying the same committed entries in the same order gives the same map and the same
 * results on every node: nothing here depends on time, randomness or iteration order of a hash.
 *
 * <p>Not thread-safe: like the Raft core, it belongs to one thread. The one exception is a
 * {@link Frozen} view, which {@link #freeze()} hands out in O(sessions) for a snapshot and another
 * thread may read while this one goes on applying entries ({@link LayeredMap} says why that is safe).
 */
public final class KvStore {

    /** The last command a session executed, if any. */
    private sealed interface Latest {
        record Nothing() implements Latest {}

        record Done(long sequence, Result result) implements Latest {}
    }

    /** One session: its last command, and the index of the last entry that used it (for LRU). */
    private record SessionRecord(long lastUsedAt, Latest latest) {}

    private final LayeredMap names = new LayeredMap();
    private final SessionLimits limits;
    // A plain map for lookups (lookup must not change anything) plus the LRU order, by log index.
    private final HashMap<String, SessionRecord> sessions = new HashMap<>();
    private final TreeMap<Long, String> sessionsByLastUse = new TreeMap<>();
    private long lastApplied;

    public KvStore() {
        this(SessionLimits.DEFAULT);
    }

    /** @param limits how many sessions are kept, and when one may be expired to make room (§6.3) */
    public KvStore(SessionLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
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
                touch(session.clientId(), done);
                return done.result();
            }
            case Latest.Done done when session.sequence() < done.sequence() -> {
                touch(session.clientId(), done);
                return new Result.StaleSession(done.sequence());
            }
            default -> {
                Result result = execute(entry.command());
                touch(session.clientId(), new Latest.Done(session.sequence(), result));
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
        SessionRecord record = sessions.get(session.clientId());
        if (record == null) {
            return new CommandStatus.Expired();
        }
        return switch (record.latest()) {
            case Latest.Done done when done.sequence() == session.sequence() -> new CommandStatus.Executed(done.result());
            case Latest.Done done when done.sequence() > session.sequence() -> new CommandStatus.MovedOn(done.sequence());
            default -> new CommandStatus.NotExecuted();
        };
    }

    /** Records a use of {@code clientId} at the entry being applied: it becomes the most recently used. */
    private void touch(String clientId, Latest latest) {
        SessionRecord previous = sessions.put(clientId, new SessionRecord(lastApplied, latest));
        if (previous != null) {
            sessionsByLastUse.remove(previous.lastUsedAt());
        }
        sessionsByLastUse.put(lastApplied, clientId);
    }

    /**
     * §6.3 RegisterClient. The table has "an upper bound on the number of sessions", and room is made
     * "using a least recently used (LRU) policy" — but only from a session idle for at least
     * {@link SessionLimits#idleEntries()} entries: a session in use is never expired by someone else's
     * registration. When even the least recently used one is younger, the registration is refused
     * and nothing changes. Decided from the log alone, so every node registers, expires or refuses
     * alike at the same index.
     */
    private Result register() {
        while (sessions.size() >= limits.maxSessions() && idleLongEnough(sessionsByLastUse.firstKey())) {
            sessions.remove(sessionsByLastUse.pollFirstEntry().getValue());
        }
        if (sessions.size() >= limits.maxSessions()) {
            return new Result.SessionTableFull();
        }
        // The new session's id is the index of its registration entry, so every node issues the
        // same id, and no id is ever issued twice.
        String clientId = Long.toString(lastApplied);
        touch(clientId, new Latest.Nothing());
        return new Result.SessionOpened(clientId);
    }

    /** No entry among the {@code idleEntries} before the one being applied used the session. */
    private boolean idleLongEnough(long lastUsedAt) {
        return lastApplied - lastUsedAt > limits.idleEntries();
    }

    private Result execute(Command command) {
        return switch (command) {
            case Command.Noop noop -> new Result.Ok(null);
            case Command.OpenSession open -> register();
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
        TreeMap<String, String> copy = new TreeMap<>();
        names.entriesAfter(null).forEachRemaining(e -> copy.put(e.getKey(), e.getValue()));
        return Collections.unmodifiableSortedMap(copy);
    }

    public int size() {
        return names.size();
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
        return new Frozen(lastApplied, names.freeze(), sessionsInOrder());
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
            encode(out, lastApplied, names.size(), names.entriesAfter(null), sessionsInOrder());
            out.flush();
        } catch (IOException e) {
            throw StateMachineBytes.cannotFail(e);
        }
        return bytes.toByteArray();
    }

    /** The session table in LRU order, least recently used first: a copy, O(sessions). */
    private List<Map.Entry<String, SessionRecord>> sessionsInOrder() {
        List<Map.Entry<String, SessionRecord>> inOrder = new ArrayList<>(sessions.size());
        for (String clientId : sessionsByLastUse.values()) {
            inOrder.add(Map.entry(clientId, sessions.get(clientId)));
        }
        return inOrder;
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
        out.writeInt(sessions.size());
        for (Map.Entry<String, SessionRecord> session : sessions) {
            SessionRecord record = session.getValue();
            StateMachineBytes.writeString(out, session.getKey());
            out.writeLong(record.lastUsedAt());
            out.writeBoolean(record.latest() instanceof Latest.Done);
            if (record.latest() instanceof Latest.Done done) {
                out.writeLong(done.sequence());
                StateMachineBytes.writeResult(out, done.result());
            }
        }
    }

    /**
     * Replaces the whole state with the snapshot's ("Reset state machine using snapshot contents",
     * dissertation Figure 5.3), reading its data as a stream (it may be a file far larger than a
     * buffer). Nothing changes if the bytes are malformed. A {@link Frozen} view that is out keeps
     * the state it froze.
     *
     * @throws IllegalArgumentException if the data is not a state machine snapshot of its index
     */
    public void restore(Snapshot snapshot) {
        TreeMap<String, String> newNames = new TreeMap<>();
        HashMap<String, SessionRecord> newSessions = new HashMap<>();
        TreeMap<Long, String> newOrder = new TreeMap<>();
        try (InputStream raw = snapshot.data().open();
                DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
            if (in.readInt() != StateMachineBytes.MAGIC || in.readLong() != snapshot.lastIncludedIndex()) {
                throw new IOException("not the state machine at index " + snapshot.lastIncludedIndex());
            }
            for (int n = in.readInt(); n > 0; n--) {
                newNames.put(StateMachineBytes.readString(in), StateMachineBytes.readString(in));
            }
            for (int m = in.readInt(); m > 0; m--) {
                String clientId = StateMachineBytes.readString(in);
                long lastUsedAt = in.readLong();
                Latest latest = in.readBoolean()
                        ? new Latest.Done(in.readLong(), StateMachineBytes.readResult(in))
                        : new Latest.Nothing();
                newSessions.put(clientId, new SessionRecord(lastUsedAt, latest));
                newOrder.put(lastUsedAt, clientId);
            }
            if (in.read() != -1) {
                throw new IOException("bytes left over after the session table");
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed state machine snapshot " + snapshot + ": " + e.getMessage(), e);
        }
        names.replace(newNames);
        sessions.clear();
        sessions.putAll(newSessions);
        sessionsByLastUse.clear();
        sessionsByLastUse.putAll(newOrder);
        lastApplied = snapshot.lastIncludedIndex();
    }

    /** Number of client sessions remembered. */
    public int sessionCount() {
        return sessions.size();
    }
}
