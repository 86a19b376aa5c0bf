package raftkv.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
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
    private SnapshotFiles.Writing writing; // the snapshot being received, or finished and not yet installed
    private SnapshotFileData finished; // the data handed out by finish(), or null

    SnapshotFileSink(SnapshotFiles files) {
        this.files = files;
    }

    @Override
    public void begin(long lastIncludedIndex, long lastIncludedTerm, List<String> members) {
        discard();
        try {
            writing = files.begin(lastIncludedIndex, lastIncludedTerm, members);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a file for snapshot " + lastIncludedIndex, e);
        }
    }

    @Override
    public void append(byte[] chunk) {
        if (writing == null || finished != null) {
            throw new IllegalStateException("no snapshot is being received");
        }
        try {
            writing.data().write(chunk);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a received snapshot chunk", e);
        }
    }

    @Override
    public SnapshotData finish() {
        if (writing == null || finished != null) {
            throw new IllegalStateException("no snapshot is being received");
        }
        finished = writing.publishedData();
        return finished;
    }

    @Override
    public void discard() {
        if (writing != null) {
            writing.abandon();
        }
        writing = null;
        finished = null;
    }

    /** True if {@code snapshot} is the one this sink finished receiving and holds unpublished. */
    boolean holds(Snapshot snapshot) {
        return finished != null && snapshot.data() == finished;
    }

    /** Makes the received snapshot durable under its name: it is a snapshot file like any other now. */
    Snapshot publish() throws IOException {
        Snapshot published = writing.publish(finished);
        writing = null;
        finished = null;
        return published;
    }
}
