package raftkv.core;

/**
 * The snapshot part of a {@link Ready}: a snapshot the driver must make durable before the log
 * changes of the same Ready (etcd-io/raft's Ready.Snapshot plays this role for received snapshots).
 */
public sealed interface SnapshotChange {

    Snapshot snapshot();

    /**
     * This node compacted its own log (dissertation §5.1): save the snapshot, then drop every log
     * entry before {@code firstKeptIndex}. The state machine already is in the snapshot's state.
     */
    record Taken(Snapshot snapshot, long firstKeptIndex) implements SnapshotChange {}

    /**
     * The leader sent this snapshot (InstallSnapshot, dissertation Figure 5.3): save it, discard the
     * entire log, then reset the state machine from the snapshot's contents.
     */
    record Installed(Snapshot snapshot) implements SnapshotChange {}
}
