package raftkv.server.transport;

/** What a transport tells an onlooker (the metrics) about messages it could not get through. */
public interface TransportObserver {

    TransportObserver NONE = new TransportObserver() {};

    /** Messages to {@code peer} could not be written: no stream could be opened, or it broke. */
    default void sendFailed(String peer) {}

    /** A message to {@code peer} was dropped because its queue was full. */
    default void dropped(String peer) {}
}
