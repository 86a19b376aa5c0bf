package raftkv.server;

/** What became of a linearizable read. Reads never change anything, so every failure is definite. */
public sealed interface ReadOutcome<T> {

    /** The read was confirmed by ReadIndex and evaluated on state applied up to the read index. */
    record Served<T>(T value) implements ReadOutcome<T> {}

    /** This node is not the leader. {@code leaderHint} may be null. */
    record NotLeader<T>(String leaderHint) implements ReadOutcome<T> {}

    /** The node lost leadership before it could confirm the read. */
    record Dropped<T>() implements ReadOutcome<T> {}

    /** The event loop's queue was full. */
    record Overloaded<T>() implements ReadOutcome<T> {}
}
