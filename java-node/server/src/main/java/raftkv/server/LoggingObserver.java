package raftkv.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.Driver;
import raftkv.core.LogEntry;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Snapshot;

/** Hands the driver's steps to the loop's observer (metrics) and logs an installed snapshot. */
record LoggingObserver(LoopObserver observer) implements Driver.Observer {

    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

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

    @Override
    public void snapshotStarted(long index) {
        observer.snapshotStarted(index);
    }

    @Override
    public void snapshotWritten(Snapshot snapshot) {
        observer.snapshotWritten(snapshot);
    }
}
