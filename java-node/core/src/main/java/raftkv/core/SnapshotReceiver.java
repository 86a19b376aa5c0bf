package raftkv.core;

/**
 * A follower's side of a snapshot transfer: assembles InstallSnapshot chunks into a whole snapshot
 * (receiver rules 2–5 of dissertation Figure 5.3 / extended Raft paper Figure 13). The "snapshot
 * file" of those rules is a {@link SnapshotSink} (a temporary file in the server), which only buffers:
 * a crash mid-transfer simply loses it (the leader's retransmit timer then starts it again from
 * offset 0). This class keeps the offsets; the bytes go straight to the sink.
 *
 * <p>Chunks may be lost, duplicated, reordered or arrive late from an earlier transfer. The buffer
 * only ever grows by the chunk at its end, so a chunk that is not that one is ignored, never a
 * reset: the reply names the offset this receiver expects, and the leader goes on from there.
 */
final class SnapshotReceiver {

    /** What one chunk achieved. */
    sealed interface Outcome {
        /** The chunk was written; more are needed, from {@code nextOffset}. */
        record Accepted(long nextOffset) implements Outcome {}

        /**
         * The chunk was not written (a duplicate, one that overtook a lost chunk, or not the first
         * chunk of a new snapshot); the receiver expects {@code nextOffset} of that snapshot.
         */
        record Ignored(long nextOffset) implements Outcome {}

        /** A chunk of an earlier transfer than the one under way: dropped without a reply. */
        record Outdated() implements Outcome {}

        /** The last chunk arrived: here is the whole snapshot. */
        record Complete(Snapshot snapshot) implements Outcome {}
    }

    // The transfer under way: the leader's term that sends it and the snapshot's last entry; index 0 if none.
    private long leaderTerm;
    private long index;
    private long term;
    private long size;
    private final SnapshotSink sink;

    SnapshotReceiver(SnapshotSink sink) {
        this.sink = sink;
    }

    Outcome accept(Message.InstallSnapshot m) {
        if (!receiving(m)) {
            // "5. ... discard any existing or partial snapshot with a smaller index": a transfer goes
            // one way only. A leader sends snapshots of growing index, and a later leader (a higher
            // term) starts its own transfer: anything else is a late chunk of an earlier transfer.
            if (index != 0 && (m.term() < leaderTerm || (m.term() == leaderTerm && m.lastIncludedIndex() <= index))) {
                return new Outcome.Outdated();
            }
            // "2. Create new snapshot file if first chunk (offset is 0)" — and only then: a chunk from the
            // middle of a new snapshot cannot start it.
            if (m.offset() != 0) {
                return new Outcome.Ignored(0);
            }
            leaderTerm = m.term();
            index = m.lastIncludedIndex();
            term = m.lastIncludedTerm();
            size = 0;
            sink.begin(index, term, m.configuration());
        }
        // "3. Write data into snapshot file at given offset" — where that is the file's end. The leader
        // sends the chunks in order, so a chunk before the end is a duplicate and one past it overtook a
        // lost one: neither is written, and the file stays a prefix of the snapshot.
        if (m.offset() != size) {
            return new Outcome.Ignored(size);
        }
        byte[] data = m.data();
        sink.append(data);
        size += data.length;
        // "4. Reply and wait for more data chunks if done is false"
        if (!m.done()) {
            return new Outcome.Accepted(size);
        }
        // "5. Save snapshot file, discard any existing or partial snapshot with a smaller index"
        Snapshot snapshot = new Snapshot(index, term, m.configuration(), sink.finish());
        forget();
        return new Outcome.Complete(snapshot);
    }

    /** True if {@code m} is a chunk of the transfer under way. */
    private boolean receiving(Message.InstallSnapshot m) {
        return index != 0 && m.term() == leaderTerm && m.lastIncludedIndex() == index
                && m.lastIncludedTerm() == term;
    }

    /**
     * Drops a partial snapshot that covers no more than {@code committedIndex}: the follower holds
     * those entries already (rule 5's "discard any ... partial snapshot with a smaller index").
     */
    void discardThrough(long committedIndex) {
        if (index != 0 && index <= committedIndex) {
            sink.discard();
            forget();
        }
    }

    /** A complete snapshot will not be installed after all (the log holds its entries already, rule 6). */
    void discardComplete(Snapshot complete) {
        sink.drop(complete.data());
    }

    private void forget() {
        leaderTerm = 0;
        index = 0;
        term = 0;
        size = 0;
    }
}
