package raftkv.core;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
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
 * <p>The map is bounded by a {@link StateQuota}: a put or compare-and-set that would grow it beyond
 * is refused ({@link Result.QuotaExceeded}), decided from the entries before it alone.
 *
 * <p>Not thread-safe: like the Raft core, it belongs to one thread.
 */
public final class KvStore {

    /** The last command a session executed, if any. */
    private sealed interface Latest {
        record Nothing() implements Latest {}

        record Done(long sequence, Result result) implements Latest {}
    }

    /** One session: its last command, and the index of the last entry that used it (for LRU). */
    private record SessionRecord(long lastUsedAt, Latest latest) {}

    private final TreeMap<String, String> names = new TreeMap<>();
    private final SessionLimits limits;
    private final StateQuota quota;
    private long stateBytes; // the sum of StateQuota.entryBytes over the map
    // A plain map for lookups (lookup must not change anything) plus the LRU order, by log index.
    private final HashMap<String, SessionRecord> sessions = new HashMap<>();
    private final TreeMap<Long, String> sessionsByLastUse = new TreeMap<>();
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

    /** A sorted copy of the whole map. */
    public SortedMap<String, String> snapshot() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(names));
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
        var rest = names.tailMap(after, false).entrySet().iterator();
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

    // ---------------------------------------------------------------- snapshots (dissertation §5.1)

    /**
     * The whole state machine as bytes: the map, and the client-session table of §6.3 (without it a
     * node restored from a snapshot would execute retried commands a second time). Deterministic:
     * the map in key order, the sessions in their LRU order, so equal states give equal bytes.
     *
     * <pre>  "KVS1" lastApplied:long  n:int (key value)*n  m:int (clientId lastUsedAt:long hasLatest:bool [sequence:long result])*m</pre>
     */
    public byte[] snapshotBytes() {
        return encode(sessionsByLastUse);
    }

    /** BUG snapshot-drops-sessions: the map without the session table. Only {@link Bug} uses it. */
    byte[] snapshotBytesWithoutSessions() {
        return encode(new TreeMap<>());
    }

    private byte[] encode(TreeMap<Long, String> sessionOrder) {
        StateMachineBytes.Writer writer = new StateMachineBytes.Writer();
        try {
            var out = writer.out;
            out.writeInt(StateMachineBytes.MAGIC);
            out.writeLong(lastApplied);
            out.writeInt(names.size());
            for (var e : names.entrySet()) {
                StateMachineBytes.writeString(out, e.getKey());
                StateMachineBytes.writeString(out, e.getValue());
            }
            out.writeInt(sessionOrder.size());
            for (String clientId : sessionOrder.values()) {
                SessionRecord record = sessions.get(clientId);
                StateMachineBytes.writeString(out, clientId);
                out.writeLong(record.lastUsedAt());
                out.writeBoolean(record.latest() instanceof Latest.Done);
                if (record.latest() instanceof Latest.Done done) {
                    out.writeLong(done.sequence());
                    StateMachineBytes.writeResult(out, done.result());
                }
            }
            out.flush();
        } catch (IOException e) {
            throw StateMachineBytes.cannotFail(e);
        }
        return writer.toByteArray();
    }

    /**
     * Replaces the whole state with the snapshot's ("Reset state machine using snapshot contents",
     * dissertation Figure 5.3). Nothing changes if the bytes are malformed.
     *
     * @throws IllegalArgumentException if the data is not a state machine snapshot of its index
     */
    public void restore(Snapshot snapshot) {
        TreeMap<String, String> newNames = new TreeMap<>();
        long newBytes = 0;
        HashMap<String, SessionRecord> newSessions = new HashMap<>();
        TreeMap<Long, String> newOrder = new TreeMap<>();
        try {
            DataInputStream in = StateMachineBytes.reader(snapshot.data());
            if (in.readInt() != StateMachineBytes.MAGIC || in.readLong() != snapshot.lastIncludedIndex()) {
                throw new IOException("not the state machine at index " + snapshot.lastIncludedIndex());
            }
            for (int n = in.readInt(); n > 0; n--) {
                String id = StateMachineBytes.readString(in);
                String name = StateMachineBytes.readString(in);
                newNames.put(id, name);
                // Not in the snapshot: recomputed, so it is the same on every node and after every restore.
                newBytes += StateQuota.entryBytes(id, name);
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
            if (in.available() != 0) {
                throw new IOException(in.available() + " bytes left over");
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed state machine snapshot " + snapshot + ": " + e.getMessage(), e);
        }
        names.clear();
        names.putAll(newNames);
        stateBytes = newBytes;
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
