package raftkv.core;

/**
 * When a {@link Driver} takes a snapshot, and the one it has out: dissertation §5.1, "each server
 * takes snapshots independently" once its applied log is long enough. The state machine is frozen
 * (copy-on-write, §5.2) and handed to the {@link SnapshotWriter}, one snapshot at a time; the log is
 * compacted only once the writer says it is durable ({@link #written}). Belongs to the driver's thread.
 */
final class SnapshotPolicy {

    private final RaftNode node;
    private final KvStore kv;
    private final SnapshotWriter writer;
    private final Driver.Observer observer;
    private long beingWritten; // the index of the job the writer holds, or 0

    SnapshotPolicy(RaftNode node, KvStore kv, SnapshotWriter writer, Driver.Observer observer) {
        this.node = node;
        this.kv = kv;
        this.writer = writer;
        this.observer = observer;
    }

    /** The index of the snapshot the writer is writing, or 0 if none. */
    long beingWritten() {
        return beingWritten;
    }

    /** Starts a snapshot if one is due and none is out; after each Ready. */
    void maybeStart() {
        if (beingWritten != 0 || !node.snapshotDue(kv.lastApplied())) {
            return;
        }
        KvStore.Frozen frozen = node.config().has(Bug.SNAPSHOT_DROPS_SESSIONS)
                ? kv.freezeWithoutSessions() // BUG snapshot-drops-sessions
                : kv.freeze();
        long index = frozen.index();
        beingWritten = index;
        observer.snapshotStarted(index);
        SnapshotJob job = new SnapshotJob(index, node.termAt(index), node.configurationAt(index), frozen);
        if (writer.start(job) instanceof SnapshotWriter.Started.Written done) {
            written(done.snapshot());
        }
    }

    /**
     * The writer made {@code snapshot} durable: the state machine takes back the entries applied
     * meanwhile, and the core compacts its log (the next Ready cuts the stored log). A snapshot
     * installed from the leader meanwhile is newer (InstallSnapshot installs only past the commit
     * index): nothing is compacted then.
     */
    void written(Snapshot snapshot) {
        if (snapshot.lastIncludedIndex() != beingWritten) {
            throw new IllegalStateException(snapshot + " was not being written (" + beingWritten + " was)");
        }
        beingWritten = 0;
        kv.thaw();
        observer.snapshotSaved(snapshot);
        if (snapshot.lastIncludedIndex() > node.snapshotIndex()) {
            node.compact(snapshot);
        }
    }
}
