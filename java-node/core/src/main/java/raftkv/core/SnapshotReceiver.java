package raftkv.core;

import java.util.Arrays;

/**
 * A follower's side of a snapshot transfer: assembles InstallSnapshot chunks into a whole snapshot
 * (receiver rules 2–5 of dissertation Figure 5.3 / extended Raft paper Figure 13). The "snapshot
 * file" of those rules is a buffer in memory here: the core does no I/O, and a crash mid-transfer
 * simply loses it (the leader then starts again from offset 0).
 */
final class SnapshotReceiver {

    /** What one chunk achieved. */
    sealed interface Outcome {
        /** More chunks are needed; ask for the one at {@code nextOffset}. */
        record Partial(long nextOffset) implements Outcome {}

        /** The last chunk arrived: here is the whole snapshot. */
        record Complete(Snapshot snapshot) implements Outcome {}
    }

    private long index; // the snapshot being received, or 0
    private long term;
    private byte[] buffer = new byte[0];
    private int size;

    Outcome accept(Message.InstallSnapshot m) {
        // "2. Create new snapshot file if first chunk (offset is 0)"
        if (m.offset() == 0) {
            index = m.lastIncludedIndex();
            term = m.lastIncludedTerm();
            size = 0;
        } else if (index != m.lastIncludedIndex() || term != m.lastIncludedTerm()) {
            return new Outcome.Partial(0); // a chunk of a snapshot we are not receiving: start it over
        }
        if (m.offset() > size) {
            return new Outcome.Partial(size); // a chunk went missing: "leaders always send chunks in order"
        }
        // "3. Write data into snapshot file at given offset"
        byte[] data = m.data();
        int end = Math.toIntExact(m.offset() + data.length);
        if (end > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(end, buffer.length * 2));
        }
        System.arraycopy(data, 0, buffer, Math.toIntExact(m.offset()), data.length);
        size = Math.max(size, end);
        // "4. Reply and wait for more data chunks if done is false"
        if (!m.done()) {
            return new Outcome.Partial(size);
        }
        // "5. Save snapshot file, discard any existing or partial snapshot with a smaller index"
        Snapshot snapshot = new Snapshot(index, term, m.members(), Arrays.copyOf(buffer, end));
        index = 0;
        term = 0;
        size = 0;
        buffer = new byte[0];
        return new Outcome.Complete(snapshot);
    }
}
