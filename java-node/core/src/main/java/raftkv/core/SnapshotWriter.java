package raftkv.core;

/**
 * Where a {@link Driver} has its snapshots written: the hook that lets the server serialize a big
 * state machine on a thread of its own, and the simulator after a seeded delay, while the driver's
 * thread goes on ticking, sending heartbeats and replicating. The dissertation (§5.2) asks exactly
 * this of a snapshot: "creating a snapshot can take a long time ... servers should be able to
 * continue normal operations while it is being written".
 *
 * <p>The driver freezes its state machine (O(sessions), {@link KvStore#freeze()}) and hands the
 * {@link SnapshotJob} over; at most one job is out at a time. A writer that answers
 * {@link Started.Writing} later calls {@link Driver#snapshotWritten} <em>on the driver's thread</em>
 * once the snapshot is durable; only then does the core compact its log. A writer never touches the
 * Raft state or the live state machine, only the job.
 */
@FunctionalInterface
public interface SnapshotWriter {

    /** What {@link #start} did with the job. */
    sealed interface Started {
        /** The job is being written elsewhere; its owner reports back through {@link Driver#snapshotWritten}. */
        record Writing() implements Started {}

        /** The job was written before {@code start} returned: here is the durable snapshot. */
        record Written(Snapshot snapshot) implements Started {}
    }

    /** Starts writing {@code job}; must not block for long. */
    Started start(SnapshotJob job);

    /**
     * Serializes on the caller's thread into memory, at once: for tests and drivers whose
     * {@link StableStorage} is memory anyway (a snapshot held only in memory is not durable).
     */
    SnapshotWriter IN_MEMORY = job -> new Started.Written(job.inMemory());
}
