package raftkv.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.Driver;
import raftkv.core.LogEntry;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Snapshot;

/**
 * Hands the driver's steps to the event loop's observer (metrics), times the snapshots this node
 * takes (the core has no clock: from the freeze to the snapshot being durable and back on the loop,
 * most of it spent on the snapshot-writer thread), and logs them and an installed snapshot. Loop
 * thread only.
 */
final class LoggingObserver implements Driver.Observer {

    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

    private final LoopObserver observer;
    private long snapshotStartedAt;

    LoggingObserver(LoopObserver observer) {
        this.observer = observer;
    }

    @Override
    public void snapshotStarted(long index) {
        snapshotStartedAt = System.nanoTime();
        observer.snapshotStarted(index);
    }

    @Override
    public void snapshotSaved(Snapshot snapshot) {
        long nanos = System.nanoTime() - snapshotStartedAt;
        log.info("took {} in {} ms", snapshot, nanos / 1_000_000);
        observer.snapshotSaved(snapshot);
        observer.snapshotTaken(snapshot, nanos);
    }

    @Override
    public void persisted(Ready ready) {
        observer.persisted(ready);
    }

    @Override
    public void restored(Snapshot snapshot) {
        log.info("installed {} from the leader (InstallSnapshot); the state machine restarts from it", snapshot);
        observer.restored(snapshot);
    }

    @Override
    public void applied(LogEntry entry, Result result) {
        observer.applied(entry, result);
    }

    @Override
    public void advanced() {
        observer.advanced();
    }
}
