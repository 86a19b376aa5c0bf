package raftkv.core;

import java.io.ByteArrayOutputStream;

/**
 * Where a follower puts the chunks of a snapshot the leader sends (InstallSnapshot receiver rules 2-3,
 * dissertation Figure 5.3: "create new snapshot file", "write data into snapshot file"): in memory
 * in tests, a temporary file in the server, so that a big snapshot never sits whole in the heap.
 *
 * <p>The sink only buffers: nothing it writes is durable or visible. The driver's persist step makes
 * the finished snapshot durable ({@link StableStorage#installSnapshot}), and a crash before that
 * loses it, as the rules allow. Chunks arrive in order, each right after the last; at most one
 * snapshot is being received at a time. A sink that fails throws {@link java.io.UncheckedIOException}.
 */
public interface SnapshotSink {

    /** Starts a new snapshot, dropping any partial one. */
    void begin(long lastIncludedIndex, long lastIncludedTerm, ClusterConfig configuration);

    /** Appends the next chunk. */
    void append(byte[] chunk);

    /**
     * The last chunk arrived: the whole data, which the driver installs with the Ready that follows
     * ({@link StableStorage#installSnapshot}) unless the core {@linkplain #drop drops} it at once.
     */
    SnapshotData finish();

    /** Drops the partial snapshot, if any. */
    void discard();

    /** {@code finished} will not be installed after all (the log holds its entries already). */
    void drop(SnapshotData finished);

    /** A sink that assembles the snapshot in memory: one copy of it, while it is received and after. */
    static SnapshotSink inMemory() {
        return new SnapshotSink() {
            private ByteArrayOutputStream bytes = new ByteArrayOutputStream();

            @Override
            public void begin(long lastIncludedIndex, long lastIncludedTerm, ClusterConfig configuration) {
                bytes = new ByteArrayOutputStream();
            }

            @Override
            public void append(byte[] chunk) {
                bytes.writeBytes(chunk);
            }

            @Override
            public SnapshotData finish() {
                SnapshotData data = SnapshotData.of(bytes.toByteArray());
                bytes = new ByteArrayOutputStream();
                return data;
            }

            @Override
            public void discard() {
                bytes = new ByteArrayOutputStream();
            }

            @Override
            public void drop(SnapshotData finished) {}
        };
    }
}
