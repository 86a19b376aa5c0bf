package raftkv.sim;

import raftkv.core.Message;

/** Everything that can happen at one instant of simulated time. */
sealed interface Event {

    /** A node's clock ticks (it calls {@link raftkv.core.RaftNode#tick()}). */
    record Tick(String node) implements Event {}

    /** The network hands a Raft message to its destination. */
    record Deliver(Message message) implements Event {}

    /** A client's request reaches a node. */
    record ToNode(ClientMessage.Request request) implements Event {}

    /** A node's answer reaches a client. */
    record ToClient(ClientMessage.Reply reply) implements Event {}

    /** A node's snapshot writer is done: the snapshot is written, and the node compacts its log. */
    record SnapshotWritten(String node, Runnable written) implements Event {}

    /** A node's snapshot restorer is done: the snapshot from the leader is decoded, the node installs it. */
    record SnapshotRestored(String node, Runnable restored) implements Event {}

    /** Anything else the simulation scheduled: a client timer, a fault, a check. */
    record Timer(String label, Runnable action) implements Event {}
}
