package raftkv.server;

import raftkv.core.Driver;
import raftkv.core.Snapshot;

/**
 * What the event loop tells an onlooker (the metrics): the driver's Ready steps, plus what only the
 * loop sees. Called on the loop thread, so an implementation must be quick and must not block;
 * it only reads what it is given and never touches the Raft state.
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
     * This node took {@code snapshot} and made it durable, {@code nanos} after it started to take it
     * (serializing the state machine and saving it: the time a snapshot holds the loop today).
     */
    default void snapshotTaken(Snapshot snapshot, long nanos) {}

    /** The status published at the end of a turn; {@code previous} is the one before it. */
    default void published(NodeStatus previous, NodeStatus current) {}
}
