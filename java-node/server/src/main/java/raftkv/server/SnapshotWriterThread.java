package raftkv.server;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotJob;
import raftkv.core.SnapshotWriter;

/**
 * The server's {@link SnapshotWriter}: one platform thread, {@code snapshot-writer-<id>}, that
 * serializes a frozen state machine straight into a snapshot file while the event loop goes on
 * ticking, sending heartbeats and replicating (dissertation §5.2), then hands the durable snapshot
 * back to the loop, which compacts the log.
 *
 * <p>It never touches the Raft state or the live state machine: only the job, whose frozen view
 * nothing changes until the loop has the snapshot back. The executor's hand-off orders memory both
 * ways: the freeze happens-before the thread reads the view, and the thread's last read
 * happens-before the loop takes the completion from its inbox and thaws the state machine.
 *
 * <p>Bounded: the driver hands it one job at a time, and the queue holds one (the next job may
 * arrive while the thread is still returning from the last); anything more is refused, a bug that
 * stops the node. A write that fails stops the node too, like a failed WAL write: it could not keep
 * its promises. On {@link #close()} a write under way is interrupted and left as a temporary file,
 * which the next open deletes.
 */
final class SnapshotWriterThread implements SnapshotWriter, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SnapshotWriterThread.class);

    /** Writes a job durably and returns the snapshot: {@link raftkv.storage.DiskStorage#writeSnapshot}. */
    @FunctionalInterface
    interface Output {
        Snapshot write(SnapshotJob job) throws IOException;
    }

    /** Told, on the writer's thread, of each durable snapshot and how long writing it took. */
    @FunctionalInterface
    interface Written {
        void written(Snapshot snapshot, long nanos);
    }

    private final Output output;
    private final Written written;
    private final Consumer<Throwable> onFatal;
    private final ThreadPoolExecutor executor;
    private volatile boolean closing;

    /**
     * @param written told of each durable snapshot (the loop queues it)
     * @param onFatal told if a write fails
     */
    SnapshotWriterThread(String nodeId, Output output, Written written, Consumer<Throwable> onFatal) {
        this.output = output;
        this.written = written;
        this.onFatal = onFatal;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1),
                Thread.ofPlatform().name("snapshot-writer-" + nodeId).daemon(true).factory());
    }

    @Override
    public Started start(SnapshotJob job) {
        executor.execute(() -> write(job));
        return new Started.Writing();
    }

    private void write(SnapshotJob job) {
        long start = System.nanoTime();
        try {
            Snapshot snapshot = output.write(job);
            long nanos = System.nanoTime() - start;
            log.info("snapshot at index {} written in {} ms ({} bytes of state)", job.lastIncludedIndex(),
                    TimeUnit.NANOSECONDS.toMillis(nanos), snapshot.size());
            written.written(snapshot, nanos);
        } catch (Throwable t) {
            if (closing) {
                log.info("snapshot at index {} abandoned: the node is stopping", job.lastIncludedIndex());
                return;
            }
            log.error("writing the snapshot at index {} failed; this node stops", job.lastIncludedIndex(), t);
            onFatal.accept(t);
        }
    }

    /** Interrupts a write under way and waits (at most {@code timeout}) for the thread to end. */
    void close(Duration timeout) throws InterruptedException {
        closing = true;
        executor.shutdownNow();
        if (!executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the snapshot writer did not stop within " + timeout.toSeconds() + " s");
        }
    }

    @Override
    public void close() throws InterruptedException {
        close(EventLoop.STOP_TIMEOUT);
    }
}
