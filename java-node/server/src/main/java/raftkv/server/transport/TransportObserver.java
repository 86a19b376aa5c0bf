package raftkv.server.transport;

/** What a transport tells an onlooker (the metrics) about messages it could not get through. */
public interface TransportObserver {

    TransportObserver NONE = new TransportObserver() {};

    /** A POST of messages to {@code peer} failed (no connection, timeout, or a non-2xx answer). */
    default void sendFailed(String peer) {}

    /** A message to {@code peer} was dropped because its queue was full. */
    default void dropped(String peer) {}
}
