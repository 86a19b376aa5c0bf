package raftkv.server;

import raftkv.core.Driver;
import raftkv.core.Snapshot;
import raftkv.core.TransferResult;

/**
 * What the event loop tells an onlooker (the metrics): the driver's Ready steps, plus what only the
 * loop sees. Called on the loop thread (all but {@link #snapshotWritten} and {@link #snapshotRestored}), so an implementation must
 * be quick and must not block; it only reads what it is given and never touches the Raft state.
 */
public interface LoopObserver extends Driver.Observer {

    LoopObserver NONE = new LoopObserver() {};

    /** A client's write reached the loop and was handed to the core. */
    default void proposed() {}

    /** {@code reads} linearizable reads share one ReadIndex round (dissertation §6.4). */
    default void readIndexRound(int reads) {}

    /** One turn of the loop did its work (the wait for events excluded) in {@code nanos}. */
    default void turnFinished(long nanos) {}

    /**
     * This node took {@code snapshot} and made it durable, {@code nanos} after it started to take it:
     * from freezing the state machine, through the snapshot-writer thread's write, until the loop had
     * the durable snapshot back (the loop itself spends only the freeze and the thaw on it).
     */
    default void snapshotTaken(Snapshot snapshot, long nanos) {}

    /**
     * The snapshot-writer thread wrote {@code snapshot} (streamed the frozen state to a file, fsynced,
     * renamed) in {@code nanos}. The one call made <em>on the writer thread</em>, not the loop's.
     */
    default void snapshotWritten(Snapshot snapshot, long nanos) {}

    /**
     * The snapshot-restorer thread decoded {@code snapshot}, received from the leader, into a new
     * state machine in {@code nanos}; the loop installs it next. Called <em>on the restorer thread</em>.
     */
    default void snapshotRestored(Snapshot snapshot, long nanos) {}

    /** The status published at the end of a turn; {@code previous} is the one before it. */
    default void published(NodeStatus previous, NodeStatus current) {}

    /** A leadership transfer to {@code requested} (null: the most up-to-date follower) was asked for (§3.10). */
    default void transferRequested(String requested, TransferResult result) {}

    /** Tells {@code first}, then {@code second}, of everything. */
    static LoopObserver both(LoopObserver first, LoopObserver second) {
        return new ObserverPair(first, second);
    }
}
