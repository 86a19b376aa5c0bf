package raftkv.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import raftkv.core.ClusterConfig;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotData;
import raftkv.core.SnapshotSink;

/**
 * A follower's snapshot file being received (InstallSnapshot receiver rules 2-3, dissertation Figure
 * 5.3): the chunks are appended to a temporary snapshot file as they arrive, so that a big snapshot
 * never sits whole in the heap. Nothing here is fsynced: {@link DiskStorage#installSnapshot} publishes
 * the finished file (trailer, fsync, rename, directory fsync) in the driver's persist step, and a
 * crash before that leaves only a temporary file, which the next open deletes.
 *
 * <p>Used on the driver's thread only (the core calls it as it steps InstallSnapshot messages).
 */
final class SnapshotFileSink implements SnapshotSink {

    private final SnapshotFiles files;
    private SnapshotFiles.Writing receiving; // the snapshot whose chunks are arriving, or null
    // The snapshot whose last chunk arrived, until the same turn's Ready installs it (or rule 6 drops
    // it): kept apart, so that a new transfer's first chunk stepped in that turn cannot take it away.
    private SnapshotFiles.Writing finished;
    private SnapshotFileData finishedData;

    SnapshotFileSink(SnapshotFiles files) {
        this.files = files;
    }

    @Override
    public void begin(long lastIncludedIndex, long lastIncludedTerm, ClusterConfig configuration) {
        discard();
        try {
            receiving = files.begin(lastIncludedIndex, lastIncludedTerm, configuration);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a file for snapshot " + lastIncludedIndex, e);
        }
    }

    @Override
    public void append(byte[] chunk) {
        try {
            receiving().data().write(chunk);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a received snapshot chunk", e);
        }
    }

    @Override
    public SnapshotData finish() {
        SnapshotFiles.Writing done = receiving();
        if (finished != null) {
            finished.abandon(); // never installed: cannot happen, as the core installs or drops at once
        }
        finished = done;
        finishedData = done.publishedData();
        receiving = null;
        return finishedData;
    }

    @Override
    public void discard() {
        if (receiving != null) {
            receiving.abandon();
            receiving = null;
        }
    }

    @Override
    public void drop(SnapshotData data) {
        if (finished != null && data == finishedData) {
            finished.abandon();
            finished = null;
            finishedData = null;
        }
    }

    private SnapshotFiles.Writing receiving() {
        if (receiving == null) {
            throw new IllegalStateException("no snapshot is being received");
        }
        return receiving;
    }

    /** True if {@code snapshot} is the one this sink finished receiving and holds unpublished. */
    boolean holds(Snapshot snapshot) {
        return finished != null && snapshot.data() == finishedData;
    }

    /** Makes the received snapshot durable under its name: it is a snapshot file like any other now. */
    Snapshot publish() throws IOException {
        Snapshot published = finished.publish(finishedData);
        finished = null;
        finishedData = null;
        return published;
    }

    /** Drops whatever was received and not installed (the node stops). */
    void close() {
        discard();
        drop(finishedData);
    }
}
