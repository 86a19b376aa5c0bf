package raftkv.server;

import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.RestoredState;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotRestorer;

/**
 * The server's {@link SnapshotRestorer}: one platform thread, {@code snapshot-restorer-<id>}, that
 * decodes a snapshot the leader sent (hundreds of MiB for a big state: about a second) into a new
 * map while the event loop goes on answering AppendEntries and heartbeats, then hands the decoded
 * state back to the loop, which installs it in O(1) and applies the entries committed meanwhile
 * (InstallSnapshot receiver rule 8, extended Raft paper Figure 13; etcd's server applies a received
 * snapshot on its apply goroutine the same way).
 *
 * <p>The snapshot is durable before the job arrives (the loop published its file and emptied the
 * WAL). Its data is opened here, on the loop thread, before the hand-off: an open file stays
 * readable even if a later snapshot deletes it meanwhile. The thread reads only that file and builds
 * only new objects; the executor's hand-off and the loop's inbox order memory both ways.
 *
 * <p>Bounded: the driver hands it one job at a time, and the queue holds one. A decode that fails
 * (a snapshot that is not a state machine) stops the node, as it did on the loop. On
 * {@link #close()} a decode under way is abandoned: the snapshot is on disk, a restart restores it.
 */
final class SnapshotRestorerThread implements SnapshotRestorer, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SnapshotRestorerThread.class);

    /** Told, on the restorer's thread, of each decoded snapshot and how long decoding it took. */
    @FunctionalInterface
    interface Restored {
        void restored(Snapshot snapshot, RestoredState state, long nanos);
    }

    private final Restored restored;
    private final Consumer<Throwable> onFatal;
    private final ThreadPoolExecutor executor;
    private volatile boolean closing;

    /**
     * @param restored told of each decoded snapshot (the loop queues it)
     * @param onFatal told if a decode fails
     */
    SnapshotRestorerThread(String nodeId, Restored restored, Consumer<Throwable> onFatal) {
        this.restored = restored;
        this.onFatal = onFatal;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1),
                Thread.ofPlatform().name("snapshot-restorer-" + nodeId).daemon(true).factory());
    }

    @Override
    public Started start(Job job) {
        InputStream data = job.snapshot().data().open(); // on the loop: see the class comment
        executor.execute(() -> decode(job, data));
        return new Started.Restoring();
    }

    private void decode(Job job, InputStream data) {
        long start = System.nanoTime();
        try {
            RestoredState state = RestoredState.decode(job.snapshot(), data, job.limits());
            long nanos = System.nanoTime() - start;
            log.info("snapshot at index {} from the leader decoded in {} ms ({} bytes of state)",
                    job.snapshot().lastIncludedIndex(), TimeUnit.NANOSECONDS.toMillis(nanos), job.snapshot().size());
            restored.restored(job.snapshot(), state, nanos);
        } catch (Throwable t) {
            if (closing) {
                log.info("restoring the snapshot at index {} abandoned: the node is stopping",
                        job.snapshot().lastIncludedIndex());
                return;
            }
            log.error("restoring the snapshot at index {} failed; this node stops", job.snapshot().lastIncludedIndex(), t);
            onFatal.accept(t);
        }
    }

    /** Interrupts a decode under way and waits (at most {@code timeout}) for the thread to end. */
    void close(Duration timeout) throws InterruptedException {
        closing = true;
        executor.shutdownNow();
        if (!executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the snapshot restorer did not stop within " + timeout.toSeconds() + " s");
        }
    }

    @Override
    public void close() throws InterruptedException {
        close(EventLoop.STOP_TIMEOUT);
    }
}
