package raftkv.core;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.TreeMap;

/**
 * A state machine decoded from a snapshot's bytes, not yet installed: the heavy half of "8. Reset
 * state machine using snapshot contents" (InstallSnapshot receiver, dissertation Figure 5.3 /
 * extended Raft paper Figure 13). Decoding reads the whole snapshot (hundreds of MiB for a big
 * state) and builds a new map beside the old one; {@link KvStore#restore(RestoredState)} then swaps
 * it in, in O(1), on the state machine's own thread.
 *
 * <p>Decoding touches nothing but the snapshot's bytes and its own new objects, so a
 * {@link SnapshotRestorer} may run it on another thread while the driver's thread goes on answering
 * AppendEntries and heartbeats. Handing the result back through something that orders memory (an
 * executor, a queue) makes its contents visible to the state machine's thread.
 */
public final class RestoredState {

    final long index;
    final TreeMap<String, String> names;
    final long stateBytes;
    final SessionTable sessions;

    private RestoredState(long index, TreeMap<String, String> names, long stateBytes, SessionTable sessions) {
        this.index = index;
        this.names = names;
        this.stateBytes = stateBytes;
        this.sessions = sessions;
    }

    /** The snapshot's last included index: the state machine's applied index once installed. */
    public long index() {
        return index;
    }

    /** Decodes {@code snapshot}, opening its data: see {@link #decode(Snapshot, InputStream, SessionLimits)}. */
    public static RestoredState decode(Snapshot snapshot, SessionLimits limits) {
        return decode(snapshot, snapshot.data().open(), limits);
    }

    /**
     * Decodes the state machine from {@code data}, the snapshot's bytes as a stream (it may be a file
     * far larger than a buffer), and closes it. The byte format is {@link KvStore#snapshotBytes()}'s.
     *
     * @param limits the session limits of the store it will be installed in
     * @throws IllegalArgumentException if the data is not a state machine snapshot of its index
     */
    public static RestoredState decode(Snapshot snapshot, InputStream data, SessionLimits limits) {
        TreeMap<String, String> names = new TreeMap<>();
        long bytes = 0;
        SessionTable sessions;
        try (InputStream raw = data; DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
            if (in.readInt() != StateMachineBytes.MAGIC || in.readLong() != snapshot.lastIncludedIndex()) {
                throw new IOException("not the state machine at index " + snapshot.lastIncludedIndex());
            }
            for (int n = in.readInt(); n > 0; n--) {
                String id = StateMachineBytes.readString(in);
                String name = StateMachineBytes.readString(in);
                names.put(id, name);
                // Not in the snapshot: recomputed, so it is the same on every node and after every restore.
                bytes += StateQuota.entryBytes(id, name);
            }
            sessions = SessionTable.read(in, limits);
            if (in.read() != -1) {
                throw new IOException("bytes left over after the session table");
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed state machine snapshot " + snapshot + ": " + e.getMessage(), e);
        }
        return new RestoredState(snapshot.lastIncludedIndex(), names, bytes, sessions);
    }

    @Override
    public String toString() {
        return "RestoredState[index " + index + ", " + names.size() + " names]";
    }
}
