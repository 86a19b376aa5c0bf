package raftkv.server;

import raftkv.core.LogEntry;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Snapshot;
import raftkv.core.TransferResult;

/** Two onlookers of one event loop (the metrics and the event history), told in that order. */
record ObserverPair(LoopObserver first, LoopObserver second) implements LoopObserver {

    @Override
    public void persisted(Ready ready) {
        first.persisted(ready);
        second.persisted(ready);
    }

    @Override
    public void restored(Snapshot snapshot) {
        first.restored(snapshot);
        second.restored(snapshot);
    }

    @Override
    public void applied(LogEntry entry, Result result) {
        first.applied(entry, result);
        second.applied(entry, result);
    }

    @Override
    public void advanced() {
        first.advanced();
        second.advanced();
    }

    @Override
    public void snapshotStarted(long index) {
        first.snapshotStarted(index);
        second.snapshotStarted(index);
    }

    @Override
    public void snapshotSaved(Snapshot snapshot) {
        first.snapshotSaved(snapshot);
        second.snapshotSaved(snapshot);
    }

    @Override
    public void proposed() {
        first.proposed();
        second.proposed();
    }

    @Override
    public void readIndexRound(int reads) {
        first.readIndexRound(reads);
        second.readIndexRound(reads);
    }

    @Override
    public void turnFinished(long nanos) {
        first.turnFinished(nanos);
        second.turnFinished(nanos);
    }

    @Override
    public void snapshotTaken(Snapshot snapshot, long nanos) {
        first.snapshotTaken(snapshot, nanos);
        second.snapshotTaken(snapshot, nanos);
    }

    @Override
    public void snapshotWritten(Snapshot snapshot, long nanos) {
        first.snapshotWritten(snapshot, nanos);
        second.snapshotWritten(snapshot, nanos);
    }

    @Override
    public void snapshotRestored(Snapshot snapshot, long nanos) {
        first.snapshotRestored(snapshot, nanos);
        second.snapshotRestored(snapshot, nanos);
    }

    @Override
    public void published(NodeStatus previous, NodeStatus current) {
        first.published(previous, current);
        second.published(previous, current);
    }

    @Override
    public void transferRequested(String requested, TransferResult result) {
        first.transferRequested(requested, result);
        second.transferRequested(requested, result);
    }
}
