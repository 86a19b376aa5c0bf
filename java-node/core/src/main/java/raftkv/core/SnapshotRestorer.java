package raftkv.core;

/**
 * Who decodes a snapshot the leader sent into a new state machine: the hook that lets the server
 * parse a big snapshot on a thread of its own, and the simulator after a seeded virtual delay, while
 * the driver's thread goes on answering AppendEntries and heartbeats. It is the second half of
 * InstallSnapshot's "8. Reset state machine using snapshot contents" (dissertation Figure 5.3,
 * extended Raft paper Figure 13); etcd-io/raft leaves it to its users the same way: its Ready
 * carries the snapshot, and etcd's server applies it on its apply goroutine while the raft node keeps
 * running.
 *
 * <p>By the time the driver calls {@link #start}, the snapshot is durable and the Raft log continues
 * after it (rules 6-7 and Figure 2's "stable storage before responding"): only the state machine lags.
 * Until the restorer reports back, the driver applies no committed entry and serves no read; it
 * queues them, in order, behind the snapshot ({@link ApplyPath}). A restorer that answers
 * {@link Started.Restoring} later calls {@link Driver#snapshotRestored} <em>on the driver's
 * thread</em>. A restorer never touches the Raft state or the live state machine, only the job.
 */
@FunctionalInterface
public interface SnapshotRestorer {

    /** What {@link #start} did with the job. */
    sealed interface Started {
        /** The snapshot is being decoded elsewhere; its owner reports back through {@link Driver#snapshotRestored}. */
        record Restoring() implements Started {}

        /** The snapshot was decoded before {@code start} returned: install this. */
        record Restored(RestoredState state) implements Started {}
    }

    /**
     * A snapshot to decode for a store with these session limits.
     *
     * @param snapshot durable already; its data stays readable until the restorer is done
     */
    record Job(Snapshot snapshot, SessionLimits limits) {

        /** Decodes the snapshot, reading its data from the start. */
        public RestoredState decode() {
            return RestoredState.decode(snapshot, limits);
        }
    }

    /** Starts decoding {@code job}; must not block for long. At most one job is out at a time. */
    Started start(Job job);

    /** Decodes on the caller's thread, at once: for tests and drivers whose states are small. */
    SnapshotRestorer IN_PLACE = job -> new Started.Restored(job.decode());
}
