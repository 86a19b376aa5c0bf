package raftkv.core;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client-session table of dissertation §6.3, part of {@link KvStore}'s replicated state: each
 * session's last command (its sequence number and result, so that a retried command is answered
 * instead of executed again) and the order in which sessions were last used, for the LRU expiry.
 * Decided from the log alone: every node holds the same table at the same index.
 *
 * <p>Not thread-safe, like {@link KvStore}; a snapshot written on another thread takes a copy
 * ({@link #inOrder()}).
 */
final class SessionTable {

    /** The last command a session executed, if any. */
    sealed interface Latest {
        record Nothing() implements Latest {}

        record Done(long sequence, Result result) implements Latest {}
    }

    /** One session: its last command, and the index of the last entry that used it (for LRU). */
    record SessionRecord(long lastUsedAt, Latest latest) {}

    private final SessionLimits limits;
    // A plain map for lookups (lookup must not change anything) plus the LRU order, by log index.
    private final HashMap<String, SessionRecord> sessions = new HashMap<>();
    private final TreeMap<Long, String> sessionsByLastUse = new TreeMap<>();

    SessionTable(SessionLimits limits) {
        this.limits = limits;
    }

    /** The session's record, or null if it expired or was never issued. */
    SessionRecord get(String clientId) {
        return sessions.get(clientId);
    }

    int size() {
        return sessions.size();
    }

    /**
     * What the table says about {@code session}'s command. Pure: it changes nothing (not even the
     * LRU order), so a driver may ask at any time.
     */
    CommandStatus lookup(Session session) {
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

    /** Records a use of {@code clientId} by the entry at {@code index}: it becomes the most recently used. */
    void touch(String clientId, long index, Latest latest) {
        SessionRecord previous = sessions.put(clientId, new SessionRecord(index, latest));
        if (previous != null) {
            sessionsByLastUse.remove(previous.lastUsedAt());
        }
        sessionsByLastUse.put(index, clientId);
    }

    /**
     * §6.3 RegisterClient, by the entry at {@code index}. The table has "an upper bound on the number
     * of sessions", and room is made "using a least recently used (LRU) policy" — but only from a
     * session idle for at least {@link SessionLimits#idleEntries()} entries: a session in use is never
     * expired by someone else's registration. When even the least recently used one is younger, the
     * registration is refused and nothing changes. Decided from the log alone, so every node
     * registers, expires or refuses alike at the same index.
     */
    Result register(long index) {
        while (sessions.size() >= limits.maxSessions() && idleLongEnough(sessionsByLastUse.firstKey(), index)) {
            sessions.remove(sessionsByLastUse.pollFirstEntry().getValue());
        }
        if (sessions.size() >= limits.maxSessions()) {
            return new Result.SessionTableFull();
        }
        // The new session's id is the index of its registration entry, so every node issues the
        // same id, and no id is ever issued twice.
        String clientId = Long.toString(index);
        touch(clientId, index, new Latest.Nothing());
        return new Result.SessionOpened(clientId);
    }

    /** No entry among the {@code idleEntries} before the one at {@code index} used the session. */
    private boolean idleLongEnough(long lastUsedAt, long index) {
        return index - lastUsedAt > limits.idleEntries();
    }

    /** The table in LRU order, least recently used first: a copy, O(sessions). */
    List<Map.Entry<String, SessionRecord>> inOrder() {
        List<Map.Entry<String, SessionRecord>> inOrder = new ArrayList<>(sessions.size());
        for (String clientId : sessionsByLastUse.values()) {
            inOrder.add(Map.entry(clientId, sessions.get(clientId)));
        }
        return inOrder;
    }

    /** Writes {@code sessions} ({@link #inOrder()}'s) in the snapshot format: {@code m:int (clientId lastUsedAt:long hasLatest:bool [sequence:long result])*m}. */
    static void write(DataOutputStream out, List<Map.Entry<String, SessionRecord>> sessions) throws IOException {
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

    /** Reads a table {@link #write} wrote, into a new table with these {@code limits}. */
    static SessionTable read(DataInputStream in, SessionLimits limits) throws IOException {
        SessionTable table = new SessionTable(limits);
        for (int m = in.readInt(); m > 0; m--) {
            String clientId = StateMachineBytes.readString(in);
            long lastUsedAt = in.readLong();
            Latest latest = in.readBoolean()
                    ? new Latest.Done(in.readLong(), StateMachineBytes.readResult(in))
                    : new Latest.Nothing();
            table.sessions.put(clientId, new SessionRecord(lastUsedAt, latest));
            table.sessionsByLastUse.put(lastUsedAt, clientId);
        }
        return table;
    }
}
